// SPDX-License-Identifier: GPL-2.0
/*
 * The cluster DNS tests' objects; see dns_fixture.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "dns_fixture.h"
#include "yamldoc.h"

static const char yaml[] =
"apiVersion: v1\n"
"kind: Service\n"
"metadata: {name: my-app-service, namespace: default}\n"
"spec:\n"
"  clusterIP: 10.96.0.80\n"
"  ports: [{name: http, port: 80, targetPort: 8080}]\n"
"---\n"
"apiVersion: v1\n"
"kind: Service\n"
"metadata: {name: dual, namespace: shop}\n"
"spec:\n"
"  clusterIPs: [10.96.0.90, 'fd00::90']\n"
"  ports:\n"
"  - {name: dns, port: 53, protocol: UDP}\n"
"  - {name: dns-tcp, port: 53, protocol: TCP}\n"
"---\n"
"apiVersion: v1\n"
"kind: Service\n"
"metadata: {name: db, namespace: shop}\n"
"spec: {type: ExternalName, externalName: db.example.com}\n"
"---\n"
"apiVersion: v1\n"
"kind: Service\n"
"metadata: {name: alias, namespace: shop}\n"
"spec: {type: ExternalName, externalName: my-app-service.default.svc.cluster.local}\n"
"---\n"
"apiVersion: v1\n"
"kind: Service\n"
"metadata: {name: ghost, namespace: shop}\n"
"spec: {type: ExternalName, externalName: nope.default.svc.cluster.local}\n"
"---\n"
"apiVersion: v1\n"
"kind: Service\n"
"metadata: {name: loop-a, namespace: shop}\n"
"spec: {type: ExternalName, externalName: loop-b.shop.svc.cluster.local}\n"
"---\n"
"apiVersion: v1\n"
"kind: Service\n"
"metadata: {name: loop-b, namespace: shop}\n"
"spec: {type: ExternalName, externalName: loop-a.shop.svc.cluster.local}\n"
"---\n"
"apiVersion: v1\n"
"kind: Service\n"
"metadata: {name: web, namespace: shop}\n"
"spec:\n"
"  clusterIP: None\n"
"  ports: [{name: http, port: 80}]\n"
"---\n"
"apiVersion: discovery.k8s.io/v1\n"
"kind: EndpointSlice\n"
"metadata:\n"
"  name: web-4\n"
"  namespace: shop\n"
"  labels: {kubernetes.io/service-name: web}\n"
"addressType: IPv4\n"
"ports: [{name: http, port: 8080, protocol: TCP}]\n"
"endpoints:\n"
"- {addresses: [10.244.2.5], hostname: web-0}\n"
"- {addresses: [10.244.2.6]}\n"
"- {addresses: [10.244.2.7], conditions: {ready: false}}\n"
"- {addresses: [10.244.2.8, 10.244.2.9], hostname: web-2}\n"
"---\n"
"apiVersion: discovery.k8s.io/v1\n"
"kind: EndpointSlice\n"
"metadata:\n"
"  name: web-6\n"
"  namespace: shop\n"
"  labels: {kubernetes.io/service-name: web}\n"
"addressType: IPv6\n"
"ports: [{name: http, port: 8080, protocol: TCP}]\n"
"endpoints:\n"
"- {addresses: ['fd00:244::5'], hostname: web-0}\n"
"---\n"
"apiVersion: v1\n"
"kind: Service\n"
"metadata: {name: big, namespace: shop}\n"
"spec: {clusterIP: None}\n"
"---\n"
"apiVersion: v1\n"
"kind: Service\n"
"metadata: {name: empty, namespace: shop}\n"
"spec: {clusterIP: None, ports: [{name: http, port: 80}]}\n"
"---\n"
"apiVersion: v1\n"
"kind: Service\n"
"metadata: {name: mid, namespace: shop}\n"
"spec: {clusterIP: None, ports: [{name: http, port: 80}]}\n";

static int put(struct ksd_store *st, const cJSON *d, char *why)
{
	const cJSON *kind = cJSON_GetObjectItem(d, "kind");
	struct ksd_service *s;
	struct ksd_slice *sl;

	if (!strcmp(kind->valuestring, "Service")) {
		if (ksd_decode_service(d, &s, why))
			return -EINVAL;
		ksd_store_put_service(st, s);
		return 0;
	}
	if (ksd_decode_slice(d, &sl, why))
		return -EINVAL;
	ksd_store_put_slice(st, sl);
	return 0;
}

int dns_fixture_load(struct ksd_store *st, char *why)
{
	char big[8192], ywhy[KSD_YAML_WHY_MAX];
	size_t len;
	cJSON *docs, *d;
	int ret = 0, i;

	/* big's slice: 10.244.3.1 ... 10.244.3.40; mid's: 10.244.4.1 ...
	 * 10.244.4.8, at port http 8080. */
	len = (size_t)snprintf(big, sizeof(big),
		"%s---\napiVersion: discovery.k8s.io/v1\n"
		"kind: EndpointSlice\n"
		"metadata:\n  name: big-1\n  namespace: shop\n"
		"  labels: {kubernetes.io/service-name: big}\n"
		"addressType: IPv4\nendpoints:\n", yaml);
	for (i = 1; i <= DNS_FIXTURE_BIG; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len,
					"- {addresses: [10.244.3.%d]}\n", i);
	len += (size_t)snprintf(big + len, sizeof(big) - len,
		"---\napiVersion: discovery.k8s.io/v1\n"
		"kind: EndpointSlice\n"
		"metadata:\n  name: mid-1\n  namespace: shop\n"
		"  labels: {kubernetes.io/service-name: mid}\n"
		"addressType: IPv4\n"
		"ports: [{name: http, port: 8080}]\nendpoints:\n");
	for (i = 1; i <= DNS_FIXTURE_MID; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len,
					"- {addresses: [10.244.4.%d]}\n", i);
	if (ksd_yaml_parse(big, len, &docs, ywhy)) {
		snprintf(why, KSD_WHY_MAX, "%s", ywhy);
		return -EINVAL;
	}
	cJSON_ArrayForEach(d, docs)
		if (!ret)
			ret = put(st, d, why);
	cJSON_Delete(docs);
	return ret;
}
