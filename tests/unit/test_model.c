// SPDX-License-Identifier: GPL-2.0
/*
 * kube-proxy's rules (model.c) as a table: a Service and its
 * EndpointSlices in, the kernel services out, written one per line as
 *   NAME PROTO PORT np=NODEPORT fe=KIND:ADDR,... be=ADDR:PORT,...
 * with KIND c (cluster IP), e (external IP) or l (load-balancer IP); a
 * backend's flags follow it as /FLAGS (l local, r ready, s serving, t
 * terminating) unless they are a plain ready endpoint's (rs); then, when
 * set, aff=TIMEOUT, pol=ext,int (the Local traffic policies) and
 * src=CIDR,...
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "decode.h"
#include "ksvc_text.h"
#include "model.h"
#include "yamldoc.h"

static cJSON *docs_of(const char *yaml)
{
	char why[KSD_YAML_WHY_MAX];
	cJSON *docs;

	if (ksd_yaml_parse(yaml, strlen(yaml), &docs, why))
		fail_msg("test YAML: %s", why);
	return docs;
}

/* Decodes every document of yaml into st. */
static void load(struct ksd_store *st, const char *yaml)
{
	char why[KSD_WHY_MAX];
	cJSON *docs = docs_of(yaml), *d;

	cJSON_ArrayForEach(d, docs) {
		const cJSON *kind = cJSON_GetObjectItem(d, "kind");

		if (!strcmp(kind->valuestring, "Service")) {
			struct ksd_service *s;

			if (ksd_decode_service(d, &s, why))
				fail_msg("%s", why);
			ksd_store_put_service(st, s);
		} else {
			struct ksd_slice *sl;

			if (ksd_decode_slice(d, &sl, why))
				fail_msg("%s", why);
			ksd_store_put_slice(st, sl);
		}
	}
	cJSON_Delete(docs);
}

static const char *proto(uint8_t p)
{
	return p == IPPROTO_TCP ? "TCP" : p == IPPROTO_UDP ? "UDP" : "SCTP";
}

/* The model as text, one kernel service a line. */
static char *render(const struct ksd_model *m)
{
	static const char kinds[] = "?cel";
	char *out = calloc(1, 1 << 16), buf[KSVC_ENDPOINT_STRLEN];
	size_t len = 0;

	for (size_t i = 0; i < m->n; i++) {
		const struct ksvc_service *s = &m->svcs[i].ksvc;

		len += (size_t)sprintf(out + len, "%s %s %u np=%u fe=", s->name,
				       proto(s->proto), s->port, s->node_port);
		for (size_t f = 0; f < s->nfrontends; f++)
			len += (size_t)sprintf(out + len, "%s%c:%s",
					       f ? "," : "",
					       kinds[s->frontends[f].kind],
					       ksvc_format_addr(
						       &s->frontends[f].addr,
						       buf, sizeof(buf)));
		len += (size_t)sprintf(out + len, " be=");
		for (size_t b = 0; b < s->nbackends; b++) {
			uint32_t f = s->backends[b].flags;

			len += (size_t)sprintf(out + len, "%s%s", b ? "," : "",
					       ksvc_format_endpoint(
						       &s->backends[b].addr,
						       s->backends[b].port,
						       buf, sizeof(buf)));
			if (f == (KSVC_BE_F_READY | KSVC_BE_F_SERVING))
				continue;
			len += (size_t)sprintf(out + len, "/%s%s%s%s",
				f & KSVC_BE_F_LOCAL ? "l" : "",
				f & KSVC_BE_F_READY ? "r" : "",
				f & KSVC_BE_F_SERVING ? "s" : "",
				f & KSVC_BE_F_TERMINATING ? "t" : "");
		}
		if (s->affinity)
			len += (size_t)sprintf(out + len, " aff=%u",
					       s->affinity);
		if (s->flags)
			len += (size_t)sprintf(out + len, " pol=%s%s%s",
				s->flags & KSVC_SVC_F_EXTERNAL_LOCAL ?
				"ext" : "",
				s->flags == (KSVC_SVC_F_EXTERNAL_LOCAL |
					     KSVC_SVC_F_INTERNAL_LOCAL) ?
				"," : "",
				s->flags & KSVC_SVC_F_INTERNAL_LOCAL ?
				"int" : "");
		for (size_t r = 0; r < s->nsource_ranges; r++) {
			len += (size_t)sprintf(out + len, "%s%s/%u",
				r ? "," : " src=",
				ksvc_format_addr(&s->source_ranges[r].addr,
						 buf, sizeof(buf)),
				s->source_ranges[r].prefixlen);
		}
		out[len++] = '\n';
	}
	return out;
}

struct model_case {
	const char *what;
	const char *objects;		/* YAML: services and slices */
	const char *expect;
	const char *node;		/* --hostname-override; NULL: none */
	const char *zone;		/* the Node's zone label; NULL: none */
};

#define SVC_HEAD "apiVersion: v1\nkind: Service\nmetadata: {name: web, " \
		 "namespace: shop}\n"
#define SLICE_HEAD(name) "---\napiVersion: discovery.k8s.io/v1\n" \
	"kind: EndpointSlice\nmetadata:\n  name: " name "\n" \
	"  namespace: shop\n  labels: {kubernetes.io/service-name: web}\n"

/* node-a's endpoint is hinted for zone-b, node-b's for zone-a. */
#define TOPO_LOCAL_ELSEWHERE SLICE_HEAD("web-1") \
	"addressType: IPv4\nports: [{port: 8080}]\nendpoints:\n" \
	"- {addresses: [10.244.1.5], conditions: {ready: true}, " \
	"nodeName: node-a, hints: {forZones: [{name: zone-b}]}}\n" \
	"- {addresses: [10.244.2.5], conditions: {ready: true}, " \
	"nodeName: node-b, hints: {forZones: [{name: zone-a}]}}\n" \
	"- {addresses: [10.244.3.5], conditions: {ready: true}, " \
	"nodeName: node-c, hints: {forZones: [{name: zone-b}]}}\n"

static const struct model_case cases[] = {
	{ "the tutorial's ClusterIP service, two ready pods",
	  SVC_HEAD "spec:\n  type: ClusterIP\n  clusterIP: 10.96.0.80\n"
	  "  selector: {app: my-app}\n  ports: [{port: 80, targetPort: 8080}]\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\n"
	  "ports: [{name: '', protocol: TCP, port: 8080}]\n"
	  "endpoints:\n"
	  "- {addresses: [10.244.1.12], conditions: {ready: true}}\n"
	  "- {addresses: [10.244.1.11], conditions: {ready: true}}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.80 "
	  "be=10.244.1.11:8080,10.244.1.12:8080\n", NULL, NULL },

	{ "one kernel service per port; named targetPort resolved by the "
	  "slice's port of the same name and protocol",
	  SVC_HEAD "spec:\n  clusterIP: 10.96.0.1\n  ports:\n"
	  "  - {name: http, port: 80, targetPort: web}\n"
	  "  - {name: dns, port: 53, protocol: UDP}\n"
	  "  - {name: dns-tcp, port: 53, protocol: TCP}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\n"
	  "ports: [{name: http, port: 8080}, {name: dns, protocol: UDP, "
	  "port: 5353}, {name: dns-tcp, protocol: UDP, port: 5300}]\n"
	  "endpoints: [{addresses: [10.244.0.5]}]\n",
	  "shop/web:dns UDP 53 np=0 fe=c:10.96.0.1 be=10.244.0.5:5353\n"
	  "shop/web:dns-tcp TCP 53 np=0 fe=c:10.96.0.1 be=\n"
	  "shop/web:http TCP 80 np=0 fe=c:10.96.0.1 be=10.244.0.5:8080\n", NULL, NULL },

	{ "ExternalName: skipped",
	  SVC_HEAD "spec: {type: ExternalName, externalName: db.example.com, "
	  "ports: [{port: 5432}]}\n", "", NULL, NULL },

	{ "ExternalName with a cluster IP left over: still skipped",
	  SVC_HEAD "spec: {type: ExternalName, externalName: db.example.com, "
	  "clusterIP: 10.96.0.7, ports: [{port: 5432}]}\n", "", NULL, NULL },

	{ "headless: skipped",
	  SVC_HEAD "spec: {clusterIP: None, ports: [{port: 80}]}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 80}]\n"
	  "endpoints: [{addresses: [10.244.0.5]}]\n", "", NULL, NULL },

	{ "another proxy's service: skipped",
	  "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"
	  "  namespace: shop\n  labels: {service.kubernetes.io/"
	  "service-proxy-name: other}\n"
	  "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}\n", "", NULL, NULL },

	{ "no cluster IP: skipped",
	  SVC_HEAD "spec: {ports: [{port: 80}]}\n", "", NULL, NULL },

	{ "no ports: nothing to program",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1}\n", "", NULL, NULL },

	{ "dual stack: both cluster IPs, backends of both slices",
	  SVC_HEAD "spec:\n  clusterIPs: [10.96.0.1, 'fd00:96::1']\n"
	  "  ipFamilies: [IPv4, IPv6]\n  ports: [{port: 80}]\n"
	  SLICE_HEAD("web-v4") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints: [{addresses: [10.244.0.5]}]\n"
	  SLICE_HEAD("web-v6") "addressType: IPv6\nports: [{port: 8080}]\n"
	  "endpoints: [{addresses: ['fd00:244::5']}]\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1,c:fd00:96::1 "
	  "be=10.244.0.5:8080,[fd00:244::5]:8080\n", NULL, NULL },

	{ "NodePort: the node port",
	  SVC_HEAD "spec:\n  type: NodePort\n  clusterIP: 10.96.0.1\n"
	  "  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]\n",
	  "shop/web TCP 80 np=30080 fe=c:10.96.0.1 be=\n", NULL, NULL },

	{ "a nodePort on a ClusterIP service is not opened",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80, "
	  "nodePort: 30080}]}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=\n", NULL, NULL },

	{ "LoadBalancer: VIP and unset ipMode ingresses, not Proxy nor "
	  "hostnames; external IPs; an address given twice is one frontend",
	  SVC_HEAD "spec:\n  type: LoadBalancer\n  clusterIP: 10.96.0.1\n"
	  "  externalIPs: [192.0.2.10, 198.51.100.20]\n"
	  "  ports: [{port: 443, nodePort: 30443}]\n"
	  "status:\n  loadBalancer:\n    ingress:\n"
	  "    - {ip: 198.51.100.20, ipMode: VIP}\n"
	  "    - {ip: 198.51.100.21, ipMode: Proxy}\n"
	  "    - {ip: 198.51.100.22}\n"
	  "    - {hostname: lb.example.com}\n",
	  "shop/web TCP 443 np=30443 fe=c:10.96.0.1,e:192.0.2.10,"
	  "e:198.51.100.20,l:198.51.100.22 be=\n", NULL, NULL },

	{ "ready and serving-terminating endpoints go to the kernel with "
	  "their conditions; not ready and not both serving and terminating: "
	  "left out",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 80}]\n"
	  "endpoints:\n"
	  "- {addresses: [10.244.0.1], conditions: {ready: true}}\n"
	  "- {addresses: [10.244.0.2], conditions: {ready: false, "
	  "serving: false}}\n"
	  "- {addresses: [10.244.0.3], conditions: {ready: false, "
	  "serving: true, terminating: true}}\n"
	  "- {addresses: [10.244.0.4]}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 "
	  "be=10.244.0.1:80,10.244.0.3:80/st,10.244.0.4:80\n", NULL, NULL },

	{ "none ready: the serving and terminating ones, for the kernel's "
	  "fallback",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 80}]\n"
	  "endpoints:\n"
	  "- {addresses: [10.244.0.2], conditions: {ready: false, "
	  "serving: false, terminating: true}}\n"
	  "- {addresses: [10.244.0.3], conditions: {ready: false, "
	  "serving: true, terminating: true}}\n"
	  "- {addresses: [10.244.0.4], conditions: {ready: false, "
	  "serving: true, terminating: false}}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=10.244.0.3:80/st\n", NULL, NULL },

	{ "none ready nor serving-terminating: an empty set",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 80}]\n"
	  "endpoints: [{addresses: [10.244.0.2], conditions: {ready: false}}]\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=\n", NULL, NULL },

	{ "slices of other services, other namespaces, unlabelled, FQDN or "
	  "with no port number are not used",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}\n"
	  "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	  "metadata: {name: a, namespace: shop, labels: "
	  "{kubernetes.io/service-name: api}}\n"
	  "addressType: IPv4\nports: [{port: 80}]\n"
	  "endpoints: [{addresses: [10.0.0.1]}]\n"
	  "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	  "metadata: {name: b, namespace: other, labels: "
	  "{kubernetes.io/service-name: web}}\n"
	  "addressType: IPv4\nports: [{port: 80}]\n"
	  "endpoints: [{addresses: [10.0.0.2]}]\n"
	  "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	  "metadata: {name: c, namespace: shop}\n"
	  "addressType: IPv4\nports: [{port: 80}]\n"
	  "endpoints: [{addresses: [10.0.0.3]}]\n"
	  SLICE_HEAD("d") "addressType: FQDN\nports: [{port: 80}]\n"
	  "endpoints: [{addresses: [db.example.com]}]\n"
	  SLICE_HEAD("e") "addressType: IPv4\nports: [{name: ''}]\n"
	  "endpoints: [{addresses: [10.0.0.5]}]\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=\n", NULL, NULL },

	{ "an endpoint in two slices is one backend; the first address of "
	  "an endpoint is used",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints: [{addresses: [10.244.0.1, 10.244.0.9]}]\n"
	  SLICE_HEAD("web-2") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints: [{addresses: [10.244.0.1]}, {addresses: [10.244.0.2]}]\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 "
	  "be=10.244.0.1:8080,10.244.0.2:8080\n", NULL, NULL },

	{ "a slice's endpoints at different ports per service port",
	  SVC_HEAD "spec:\n  clusterIP: 10.96.0.1\n  ports: [{name: a, "
	  "port: 80, targetPort: 8080}, {name: b, port: 81, targetPort: 9090}]\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\n"
	  "ports: [{name: b, port: 9090}, {name: a, port: 8080}]\n"
	  "endpoints: [{addresses: [10.244.0.1]}]\n",
	  "shop/web:a TCP 80 np=0 fe=c:10.96.0.1 be=10.244.0.1:8080\n"
	  "shop/web:b TCP 81 np=0 fe=c:10.96.0.1 be=10.244.0.1:9090\n", NULL, NULL },

	{ "SCTP",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 2905, "
	  "protocol: SCTP}]}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 2905, "
	  "protocol: SCTP}]\nendpoints: [{addresses: [10.244.0.1]}]\n",
	  "shop/web SCTP 2905 np=0 fe=c:10.96.0.1 be=10.244.0.1:2905\n", NULL, NULL },
	{ "sessionAffinity ClientIP: the default timeout, 10800 s",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], "
	  "sessionAffinity: ClientIP}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be= aff=10800\n", NULL, NULL },

	{ "sessionAffinity ClientIP with timeoutSeconds",
	  SVC_HEAD "spec:\n  clusterIP: 10.96.0.1\n  ports: [{port: 80}]\n"
	  "  sessionAffinity: ClientIP\n"
	  "  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be= aff=60\n", NULL, NULL },

	{ "sessionAffinity None: no affinity, whatever the config says",
	  SVC_HEAD "spec:\n  clusterIP: 10.96.0.1\n  ports: [{port: 80}]\n"
	  "  sessionAffinity: None\n"
	  "  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=\n", NULL, NULL },

	{ "externalTrafficPolicy Local on a NodePort service: the flag; the "
	  "endpoints of this node are local, the others are still sent",
	  SVC_HEAD "spec:\n  type: NodePort\n  clusterIP: 10.96.0.1\n"
	  "  ports: [{port: 80, nodePort: 30080}]\n"
	  "  externalTrafficPolicy: Local\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints:\n"
	  "- {addresses: [10.244.1.5], nodeName: node-a}\n"
	  "- {addresses: [10.244.2.5], nodeName: node-b}\n"
	  "- {addresses: [10.244.3.5]}\n",
	  "shop/web TCP 80 np=30080 fe=c:10.96.0.1 "
	  "be=10.244.1.5:8080/lrs,10.244.2.5:8080,10.244.3.5:8080 pol=ext\n",
	  "node-a", NULL },

	{ "externalTrafficPolicy Local on a LoadBalancer service, with "
	  "internalTrafficPolicy Local",
	  SVC_HEAD "spec:\n  type: LoadBalancer\n  clusterIP: 10.96.0.1\n"
	  "  ports: [{port: 80, nodePort: 30080}]\n"
	  "  externalTrafficPolicy: Local\n  internalTrafficPolicy: Local\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints: [{addresses: [10.244.2.5], nodeName: node-b}]\n",
	  "shop/web TCP 80 np=30080 fe=c:10.96.0.1 be=10.244.2.5:8080 "
	  "pol=ext,int\n", "node-a", NULL },

	{ "externalTrafficPolicy Local on a ClusterIP service: nothing "
	  "external, no flag (kube-proxy's ExternalPolicyLocal)",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], "
	  "externalTrafficPolicy: Local}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=\n", NULL, NULL },

	{ "externalTrafficPolicy Local on a ClusterIP service with external "
	  "IPs: the flag",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], "
	  "externalIPs: [192.0.2.10], externalTrafficPolicy: Local}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1,e:192.0.2.10 be= pol=ext\n", NULL, NULL },

	{ "internalTrafficPolicy Local, with a local and a remote endpoint",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], "
	  "internalTrafficPolicy: Local}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints:\n"
	  "- {addresses: [10.244.1.5], nodeName: node-a}\n"
	  "- {addresses: [10.244.2.5], nodeName: node-b}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 "
	  "be=10.244.1.5:8080/lrs,10.244.2.5:8080 pol=int\n", "node-a", NULL },

	{ "terminating fallback: a local terminating endpoint beside a "
	  "remote ready one is sent too, for the kernel's local set",
	  SVC_HEAD "spec:\n  type: NodePort\n  clusterIP: 10.96.0.1\n"
	  "  ports: [{port: 80, nodePort: 30080}]\n"
	  "  externalTrafficPolicy: Local\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints:\n"
	  "- addresses: [10.244.1.5]\n  nodeName: node-a\n"
	  "  conditions: {ready: false, serving: true, terminating: true}\n"
	  "- addresses: [10.244.1.6]\n  nodeName: node-a\n"
	  "  conditions: {ready: false, serving: false, terminating: true}\n"
	  "- {addresses: [10.244.2.5], nodeName: node-b}\n",
	  "shop/web TCP 80 np=30080 fe=c:10.96.0.1 "
	  "be=10.244.1.5:8080/lst,10.244.2.5:8080 pol=ext\n", "node-a", NULL },

	{ "loadBalancerSourceRanges: both families, host bits cleared",
	  SVC_HEAD "spec:\n  type: LoadBalancer\n  clusterIP: 10.96.0.1\n"
	  "  ports: [{port: 443, nodePort: 30443}]\n"
	  "  loadBalancerSourceRanges: [203.0.113.7/24, ' 198.51.100.0/25 ', "
	  "'2001:db8::1/32']\n"
	  "status: {loadBalancer: {ingress: [{ip: 198.51.100.22}]}}\n",
	  "shop/web TCP 443 np=30443 fe=c:10.96.0.1,l:198.51.100.22 be= "
	  "src=203.0.113.0/24,198.51.100.0/25,2001:db8::/32\n", NULL, NULL },

	{ "the node's name is another: no endpoint is local",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], "
	  "internalTrafficPolicy: Local}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints:\n"
	  "- {addresses: [10.244.1.5], nodeName: node-a}\n"
	  "- {addresses: [10.244.2.5], nodeName: node-b}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 "
	  "be=10.244.1.5:8080,10.244.2.5:8080/lrs pol=int\n", "node-b", NULL },

	{ "no node name: no endpoint is local",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints: [{addresses: [10.244.1.5], nodeName: node-a}]\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=10.244.1.5:8080\n", NULL, NULL },

	{ "topology: every ready endpoint hinted, this zone's only",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], trafficDistribution: PreferClose}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints:\n"
	  "- {addresses: [10.244.1.5], conditions: {ready: true}, nodeName: node-a, hints: {forZones: [{name: zone-a}]}}\n"
	  "- {addresses: [10.244.2.5], conditions: {ready: true}, nodeName: node-b, hints: {forZones: [{name: zone-b}]}}\n"
	  "- {addresses: [10.244.3.5], conditions: {ready: true}, nodeName: node-c, hints: {forZones: [{name: zone-a}]}}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=10.244.1.5:8080,10.244.3.5:8080\n", "node-x", "zone-a" },

	{ "topology: one ready endpoint without hints: all endpoints",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], trafficDistribution: PreferClose}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints:\n"
	  "- {addresses: [10.244.1.5], conditions: {ready: true}, nodeName: node-a, hints: {forZones: [{name: zone-a}]}}\n"
	  "- {addresses: [10.244.2.5], conditions: {ready: true}, nodeName: node-b}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=10.244.1.5:8080,10.244.2.5:8080\n", "node-x", "zone-a" },

	{ "topology: an unready endpoint without hints does not count",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], trafficDistribution: PreferClose}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints:\n"
	  "- {addresses: [10.244.1.5], conditions: {ready: true}, nodeName: node-a, hints: {forZones: [{name: zone-a}]}}\n"
	  "- {addresses: [10.244.2.5], conditions: {ready: true}, nodeName: node-b, hints: {forZones: [{name: zone-b}]}}\n"
	  "- {addresses: [10.244.4.5], conditions: {ready: false, serving: true, terminating: true}, nodeName: node-d}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=10.244.1.5:8080\n", "node-x", "zone-a" },

	{ "topology: no hint for this node's zone: all endpoints",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], trafficDistribution: PreferClose}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints:\n"
	  "- {addresses: [10.244.1.5], conditions: {ready: true}, nodeName: node-a, hints: {forZones: [{name: zone-a}]}}\n"
	  "- {addresses: [10.244.2.5], conditions: {ready: true}, nodeName: node-b, hints: {forZones: [{name: zone-b}]}}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=10.244.1.5:8080,10.244.2.5:8080\n", "node-x", "zone-c" },

	{ "topology: this node has no zone label: all endpoints",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], trafficDistribution: PreferClose}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints:\n"
	  "- {addresses: [10.244.1.5], conditions: {ready: true}, nodeName: node-a, hints: {forZones: [{name: zone-a}]}}\n"
	  "- {addresses: [10.244.2.5], conditions: {ready: true}, nodeName: node-b, hints: {forZones: [{name: zone-b}]}}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=10.244.1.5:8080,10.244.2.5:8080\n", "node-x", NULL },

	{ "topology: an endpoint hinted for several zones",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], trafficDistribution: PreferClose}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints:\n"
	  "- {addresses: [10.244.1.5], conditions: {ready: true}, nodeName: node-a, hints: {forZones: [{name: zone-a}, {name: zone-b}]}}\n"
	  "- {addresses: [10.244.2.5], conditions: {ready: true}, nodeName: node-b, hints: {forZones: [{name: zone-b}]}}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=10.244.1.5:8080,10.244.2.5:8080\n", "node-x", "zone-b" },

	{ "topology: PreferSameNode: node hints first",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], trafficDistribution: PreferClose}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints:\n"
	  "- {addresses: [10.244.1.5], conditions: {ready: true}, nodeName: node-a, hints: {forZones: [{name: zone-a}], forNodes: [{name: node-a}]}}\n"
	  "- {addresses: [10.244.2.5], conditions: {ready: true}, nodeName: node-b, hints: {forZones: [{name: zone-a}], forNodes: [{name: node-b}]}}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=10.244.1.5:8080/lrs\n", "node-a", "zone-a" },

	{ "topology: node hints, none for this node: the zone's",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], trafficDistribution: PreferClose}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints:\n"
	  "- {addresses: [10.244.1.5], conditions: {ready: true}, nodeName: node-a, hints: {forZones: [{name: zone-a}], forNodes: [{name: node-a}]}}\n"
	  "- {addresses: [10.244.2.5], conditions: {ready: true}, nodeName: node-b, hints: {forZones: [{name: zone-b}], forNodes: [{name: node-b}]}}\n"
	  "- {addresses: [10.244.3.5], conditions: {ready: true}, nodeName: node-c, hints: {forZones: [{name: zone-a}], forNodes: [{name: node-c}]}}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=10.244.1.5:8080,10.244.3.5:8080\n", "node-x", "zone-a" },

	{ "topology: node hints on some only: the zone's",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], trafficDistribution: PreferClose}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints:\n"
	  "- {addresses: [10.244.1.5], conditions: {ready: true}, nodeName: node-a, hints: {forZones: [{name: zone-a}], forNodes: [{name: node-a}]}}\n"
	  "- {addresses: [10.244.2.5], conditions: {ready: true}, nodeName: node-b, hints: {forZones: [{name: zone-b}]}}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=10.244.1.5:8080/lrs\n", "node-a", "zone-a" },

	/* kube-proxy's CategorizeEndpoints: a local endpoint hinted
	 * elsewhere is in no cluster set; a local set in use (a Local
	 * policy) keeps it, which the kernel's one backend set holds for
	 * both (README: differences). */
	{ "topology: a local endpoint hinted elsewhere, no Local policy: in no set",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], trafficDistribution: PreferClose}\n"
	  TOPO_LOCAL_ELSEWHERE,
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=10.244.2.5:8080\n", "node-a", "zone-a" },

	{ "topology: a local endpoint hinted elsewhere, eTP Local: kept for the local set",
	  SVC_HEAD "spec: {type: NodePort, clusterIP: 10.96.0.1, ports: [{port: 80, nodePort: 30080}], externalTrafficPolicy: Local}\n"
	  TOPO_LOCAL_ELSEWHERE,
	  "shop/web TCP 80 np=30080 fe=c:10.96.0.1 be=10.244.1.5:8080/lrs,10.244.2.5:8080 pol=ext\n", "node-a", "zone-a" },

	{ "topology: iTP Local alone uses no cluster set: no topology",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], internalTrafficPolicy: Local}\n"
	  TOPO_LOCAL_ELSEWHERE,
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=10.244.1.5:8080/lrs,10.244.2.5:8080,10.244.3.5:8080 pol=int\n", "node-a", "zone-a" },

	{ "topology: eTP Local on a ClusterIP service without external IPs is Cluster",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], externalTrafficPolicy: Local}\n"
	  TOPO_LOCAL_ELSEWHERE,
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=10.244.2.5:8080\n", "node-a", "zone-a" },

	{ "topology: hints decide, even without trafficDistribution (as kube-proxy)",
	  SVC_HEAD "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}\n"
	  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 8080}]\n"
	  "endpoints:\n"
	  "- {addresses: [10.244.1.5], conditions: {ready: true}, nodeName: node-a, hints: {forZones: [{name: zone-a}]}}\n"
	  "- {addresses: [10.244.2.5], conditions: {ready: true}, nodeName: node-b, hints: {forZones: [{name: zone-b}]}}\n",
	  "shop/web TCP 80 np=0 fe=c:10.96.0.1 be=10.244.1.5:8080\n", "node-x", "zone-a" },
	/* Conflicts (model.h): the oldest Service keeps a contested key. */
	{ "conflict: alpha's external IP is zeta's cluster IP at 80: a cluster "
	  "IP is never taken, not by an older Service either; alpha keeps the "
	  "rest",
	  "apiVersion: v1\nkind: Service\nmetadata: {name: alpha, "
	  "namespace: shop, creationTimestamp: '2026-01-01T00:00:00Z'}\n"
	  "spec: {clusterIP: 10.96.0.81, externalIPs: [10.96.0.80], "
	  "ports: [{port: 80}]}\n"
	  "---\napiVersion: v1\nkind: Service\nmetadata: {name: zeta, "
	  "namespace: shop, creationTimestamp: '2026-02-01T00:00:00Z'}\n"
	  "spec: {clusterIP: 10.96.0.80, ports: [{port: 80}]}\n",
	  "shop/alpha TCP 80 np=0 fe=c:10.96.0.81 be=\n"
	  "shop/zeta TCP 80 np=0 fe=c:10.96.0.80 be=\n", NULL, NULL },

	{ "conflict: one external IP, the same kind and creation time: the "
	  "name decides; another port or protocol is no conflict",
	  "apiVersion: v1\nkind: Service\nmetadata: {name: b, "
	  "namespace: shop, creationTimestamp: '2026-01-01T00:00:00Z'}\n"
	  "spec: {clusterIP: 10.96.0.2, externalIPs: [10.96.0.9], "
	  "ports: [{name: t, port: 80}, {name: u, port: 80, protocol: UDP}]}\n"
	  "---\napiVersion: v1\nkind: Service\nmetadata: {name: a, "
	  "namespace: shop, creationTimestamp: '2026-01-01T01:00:00+01:00'}\n"
	  "spec: {clusterIP: 10.96.0.1, externalIPs: [10.96.0.9], "
	  "ports: [{name: h, port: 80}, {name: s, port: 443}]}\n",
	  "shop/a:h TCP 80 np=0 fe=c:10.96.0.1,e:10.96.0.9 be=\n"
	  "shop/a:s TCP 443 np=0 fe=c:10.96.0.1,e:10.96.0.9 be=\n"
	  "shop/b:t TCP 80 np=0 fe=c:10.96.0.2 be=\n"
	  "shop/b:u UDP 80 np=0 fe=c:10.96.0.2,e:10.96.0.9 be=\n", NULL, NULL },

	{ "conflict: one node port, two Services; the one without a creation "
	  "time loses it, and an LB IP it shares",
	  "apiVersion: v1\nkind: Service\nmetadata: {name: old, "
	  "namespace: shop, creationTimestamp: '2025-06-01T12:00:00.5Z'}\n"
	  "spec: {type: LoadBalancer, clusterIP: 10.96.0.1, "
	  "ports: [{port: 80, nodePort: 30080}]}\n"
	  "status: {loadBalancer: {ingress: [{ip: 203.0.113.1}]}}\n"
	  "---\napiVersion: v1\nkind: Service\nmetadata: {name: new, "
	  "namespace: shop}\n"
	  "spec: {type: LoadBalancer, clusterIP: 10.96.0.2, "
	  "ports: [{port: 80, nodePort: 30080}]}\n"
	  "status: {loadBalancer: {ingress: [{ip: 203.0.113.1}, "
	  "{ip: 203.0.113.2}]}}\n",
	  "shop/new TCP 80 np=0 fe=c:10.96.0.2,l:203.0.113.2 be=\n"
	  "shop/old TCP 80 np=30080 fe=c:10.96.0.1,l:203.0.113.1 be=\n",
	  NULL, NULL },
};

/* Every case of the table, through ksd_model_build over a store. */
static void model_test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ksd_store st;
		struct ksd_model m;
		char *got;

		ksd_store_init(&st);
		ksd_model_init(&m);
		m.node_name = cases[i].node;
		m.zone = cases[i].zone;
		load(&st, cases[i].objects);
		ksd_model_build(&m, &st);
		got = render(&m);
		if (strcmp(got, cases[i].expect))
			fail_msg("case %zu (%s):\n got: %s\nwant: %s", i,
				 cases[i].what, got, cases[i].expect);
		free(got);
		ksd_model_release(&m);
		ksd_store_release(&st);
	}
}

/* What the kernel cannot act on yet is kept beside each service. */
static void model_test_kept(void **state)
{
	struct ksd_store st;
	struct ksd_model m;
	const struct ksd_model_svc *ms;

	(void)state;
	ksd_store_init(&st);
	ksd_model_init(&m);
	load(&st, SVC_HEAD "spec:\n  type: LoadBalancer\n"
		  "  clusterIP: 10.96.0.1\n  ports: [{port: 80}]\n"
		  "  sessionAffinity: ClientIP\n"
		  "  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}\n"
		  "  externalTrafficPolicy: Local\n"
		  "  internalTrafficPolicy: Local\n"
		  "  healthCheckNodePort: 31000\n"
		  "  trafficDistribution: PreferSameNode\n"
		  "  loadBalancerSourceRanges: [203.0.113.0/24]\n"
		  SLICE_HEAD("web-1") "addressType: IPv4\nports: [{port: 80}]\n"
		  "endpoints:\n"
		  "- addresses: [10.244.0.1]\n"
		  "  conditions: {ready: false, serving: true, terminating: true}\n"
		  "  nodeName: node-a\n  zone: z1\n"
		  "  hints: {forZones: [{name: z1}], forNodes: [{name: node-a}]}\n"
		  "- addresses: [10.244.0.2]\n"
		  "  conditions: {ready: false, serving: false}\n");
	ksd_model_build(&m, &st);
	assert_int_equal(m.n, 1);
	ms = ksd_model_find(&m, "shop/web");
	assert_non_null(ms);
	assert_null(ksd_model_find(&m, "shop/nope"));
	assert_int_equal(ms->affinity, KSD_AFFINITY_CLIENT_IP);
	assert_int_equal(ms->affinity_timeout, 60);
	assert_int_equal(ms->external_policy, KSD_POLICY_LOCAL);
	assert_int_equal(ms->internal_policy, KSD_POLICY_LOCAL);
	assert_int_equal(ms->health_check_node_port, 31000);
	assert_int_equal(ms->traffic_distribution, KSD_TD_PREFER_SAME_NODE);
	assert_int_equal(ms->nlb_source_ranges, 1);
	assert_int_equal(ms->lb_source_ranges[0].prefixlen, 24);
	/* What the kernel gets of them. */
	assert_int_equal(ms->ksvc.affinity, 60);
	assert_int_equal(ms->ksvc.flags, KSVC_SVC_F_EXTERNAL_LOCAL |
					 KSVC_SVC_F_INTERNAL_LOCAL);
	assert_int_equal(ms->ksvc.nsource_ranges, 1);
	assert_int_equal(ms->ksvc.nbackends, 1);
	assert_int_equal(ms->ksvc.backends[0].flags,
			 KSVC_BE_F_SERVING | KSVC_BE_F_TERMINATING);
	/* Every endpoint, chosen or not, with its conditions and place. */
	assert_int_equal(ms->neps, 2);
	assert_false(ms->eps[0].ready);
	assert_true(ms->eps[0].serving);
	assert_true(ms->eps[0].terminating);
	assert_string_equal(ms->eps[0].node_name, "node-a");
	assert_string_equal(ms->eps[0].zone, "z1");
	assert_true(ms->eps[0].has_hints);
	assert_string_equal(ms->eps[0].hint_zones[0], "z1");
	assert_string_equal(ms->eps[0].hint_nodes[0], "node-a");
	assert_false(ms->eps[1].serving);
	assert_null(ms->eps[1].node_name);
	ksd_model_release(&m);
	ksd_store_release(&st);
}

/* Many services over many namespaces: each gets its own slices only, and
 * the model comes out sorted by name. */
static void model_test_many(void **state)
{
	struct ksd_store st;
	struct ksd_model m;
	char yaml[1024];

	(void)state;
	ksd_store_init(&st);
	ksd_model_init(&m);
	for (int i = 59; i >= 0; i--) {
		snprintf(yaml, sizeof(yaml),
			 "apiVersion: v1\nkind: Service\nmetadata: {name: s%d, "
			 "namespace: ns%d}\nspec: {clusterIP: 10.96.1.%d, "
			 "ports: [{port: 80}]}\n"
			 "---\napiVersion: discovery.k8s.io/v1\n"
			 "kind: EndpointSlice\nmetadata: {name: s%d-x, "
			 "namespace: ns%d, labels: {kubernetes.io/service-name: "
			 "s%d}}\naddressType: IPv4\nports: [{port: 8080}]\n"
			 "endpoints: [{addresses: [10.244.1.%d]}]\n",
			 i % 7, i / 7, i, i % 7, i / 7, i % 7, i);
		load(&st, yaml);
	}
	ksd_model_build(&m, &st);
	assert_int_equal(m.n, 60);
	for (size_t i = 0; i < m.n; i++) {
		const struct ksvc_service *s = &m.svcs[i].ksvc;
		unsigned int a = s->frontends[0].addr.raw[3];

		if (i)
			assert_true(strcmp(m.svcs[i - 1].ksvc.name, s->name) < 0);
		assert_int_equal(s->nbackends, 1);
		/* The backend is the one of the same service. */
		assert_int_equal(s->backends[0].addr.raw[3], a);
	}
	ksd_model_release(&m);
	ksd_store_release(&st);
}

/* Conflicts are listed once each, and resolved the same whatever order
 * the Services came in (every node agrees): a cluster IP stays its
 * Service's, a node port goes to the older Service. */
static void model_test_conflicts(void **state)
{
	static const char *const docs[] = {
		"apiVersion: v1\nkind: Service\nmetadata: {name: a, "
		"namespace: x, creationTimestamp: '2026-03-01T00:00:00Z'}\n"
		"spec: {type: NodePort, clusterIP: 10.96.0.1, "
		"externalIPs: ['fd00:96::9'], ports: [{port: 80, "
		"nodePort: 30001}]}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: b, "
		"namespace: x, creationTimestamp: '2026-02-01T00:00:00Z'}\n"
		"spec: {type: NodePort, clusterIP: 10.96.0.2, "
		"externalIPs: [10.96.0.1], ports: [{port: 80, "
		"nodePort: 30001}]}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: c, "
		"namespace: x, creationTimestamp: '2026-01-01T00:00:00Z'}\n"
		"spec: {clusterIPs: [10.96.0.3, 'fd00:96::9'], "
		"ipFamilies: [IPv4, IPv6], ports: [{port: 80}]}\n",
	};
	static const char *const want[] = {
		"tcp 10.96.0.1:80: x/a keeps it, x/b goes without",
		"tcp [fd00:96::9]:80: x/c keeps it, x/a goes without",
		"tcp node port 30001: x/b keeps it, x/a goes without",
	};
	static const int orders[][3] = { { 0, 1, 2 }, { 2, 1, 0 }, { 1, 2, 0 } };
	char *first = NULL;

	(void)state;
	for (size_t o = 0; o < 3; o++) {
		struct ksd_store st;
		struct ksd_model m;
		char *got;

		ksd_store_init(&st);
		ksd_model_init(&m);
		for (size_t i = 0; i < 3; i++)
			load(&st, docs[orders[o][i]]);
		ksd_model_build(&m, &st);
		assert_int_equal(m.nconflicts, 3);
		for (size_t i = 0; i < 3; i++)
			assert_string_equal(m.conflicts[i], want[i]);
		got = render(&m);
		if (!first) {
			first = got;
		} else {
			assert_string_equal(got, first);
			free(got);
		}
		ksd_model_release(&m);
		ksd_store_release(&st);
	}
	assert_string_equal(first,
			    "x/a TCP 80 np=0 fe=c:10.96.0.1 be=\n"
			    "x/b TCP 80 np=30001 fe=c:10.96.0.2 be=\n"
			    "x/c TCP 80 np=0 fe=c:10.96.0.3,c:fd00:96::9 be=\n");
	free(first);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(model_test_table),
		cmocka_unit_test(model_test_kept),
		cmocka_unit_test(model_test_many),
		cmocka_unit_test(model_test_conflicts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
