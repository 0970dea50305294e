// SPDX-License-Identifier: GPL-2.0
/*
 * kserviced's decoders (decode.c): real-shaped Services and EndpointSlices
 * with every field read, the API's defaults, and a table of malformed
 * objects, each refused with one message naming the object and the field.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "decode.h"
#include "ksvc_text.h"
#include "yamldoc.h"

/* As the API server returns it (kubectl get svc -o json), every field. */
static const char full_service[] =
"{\"apiVersion\":\"v1\",\"kind\":\"Service\","
" \"metadata\":{\"name\":\"web\",\"namespace\":\"shop\","
"  \"uid\":\"6f1c3b8e-5d0a-4b8e-9a51-0d6e2f0a7c11\","
"  \"resourceVersion\":\"48213\",\"creationTimestamp\":\"2024-05-01T10:00:00Z\","
"  \"labels\":{\"app\":\"web\",\"tier\":\"front\"},"
"  \"annotations\":{\"note\":\"ignored\"}},"
" \"spec\":{\"type\":\"LoadBalancer\","
"  \"clusterIP\":\"10.96.12.7\",\"clusterIPs\":[\"10.96.12.7\",\"fd00:96::c7\"],"
"  \"ipFamilies\":[\"IPv4\",\"IPv6\"],\"ipFamilyPolicy\":\"PreferDualStack\","
"  \"ports\":[{\"name\":\"http\",\"protocol\":\"TCP\",\"port\":80,"
"             \"targetPort\":8080,\"nodePort\":30080},"
"            {\"name\":\"https\",\"protocol\":\"TCP\",\"port\":443,"
"             \"targetPort\":\"https-web\",\"nodePort\":30443},"
"            {\"name\":\"dns\",\"protocol\":\"UDP\",\"port\":53,"
"             \"nodePort\":30053},"
"            {\"name\":\"sig\",\"protocol\":\"SCTP\",\"port\":2905,"
"             \"targetPort\":2905,\"nodePort\":30905}],"
"  \"selector\":{\"app\":\"web\"},"
"  \"externalIPs\":[\"192.0.2.10\",\"2001:db8::10\"],"
"  \"sessionAffinity\":\"ClientIP\","
"  \"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":600}},"
"  \"externalTrafficPolicy\":\"Local\",\"internalTrafficPolicy\":\"Local\","
"  \"healthCheckNodePort\":32000,"
"  \"loadBalancerSourceRanges\":[\"203.0.113.0/24\",\" 198.51.100.7/16 \"],"
"  \"allocateLoadBalancerNodePorts\":true,"
"  \"trafficDistribution\":\"PreferClose\"},"
" \"status\":{\"loadBalancer\":{\"ingress\":["
"  {\"ip\":\"198.51.100.20\",\"ipMode\":\"VIP\"},"
"  {\"ip\":\"198.51.100.21\",\"ipMode\":\"Proxy\"},"
"  {\"ip\":\"198.51.100.22\"},"
"  {\"hostname\":\"lb.example.com\"}]}}}";

static const char full_slice[] =
"{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\","
" \"metadata\":{\"name\":\"web-x7k2p\",\"namespace\":\"shop\","
"  \"uid\":\"0b5f3a7e-1111-4c2d-8e9f-222233334444\","
"  \"resourceVersion\":\"48240\","
"  \"labels\":{\"kubernetes.io/service-name\":\"web\","
"   \"endpointslice.kubernetes.io/managed-by\":\"endpointslice-controller.k8s.io\"},"
"  \"ownerReferences\":[{\"kind\":\"Service\",\"name\":\"web\"}]},"
" \"addressType\":\"IPv4\","
" \"endpoints\":["
"  {\"addresses\":[\"10.244.1.5\"],"
"   \"conditions\":{\"ready\":true,\"serving\":true,\"terminating\":false},"
"   \"nodeName\":\"node-a\",\"zone\":\"zone-1\",\"hostname\":\"web-1\","
"   \"targetRef\":{\"kind\":\"Pod\",\"name\":\"web-1\"},"
"   \"hints\":{\"forZones\":[{\"name\":\"zone-1\"}],"
"            \"forNodes\":[{\"name\":\"node-a\"}]}},"
"  {\"addresses\":[\"10.244.2.9\",\"10.244.2.10\"],"
"   \"conditions\":{\"ready\":false,\"serving\":true,\"terminating\":true},"
"   \"nodeName\":\"node-b\",\"zone\":\"zone-2\"},"
"  {\"addresses\":[\"10.244.3.3\"],\"conditions\":{}}],"
" \"ports\":[{\"name\":\"http\",\"protocol\":\"TCP\",\"port\":8080,"
"            \"appProtocol\":\"http\"},"
"           {\"name\":\"dns\",\"protocol\":\"UDP\",\"port\":53},"
"           {\"name\":\"all\"}]}";

static cJSON *parse(const char *json)
{
	cJSON *j = cJSON_Parse(json);

	if (!j)
		fail_msg("test JSON does not parse near: %.40s",
			 cJSON_GetErrorPtr());
	return j;
}

static const char *addr(const struct ksvc_addr *a)
{
	static char buf[4][KSVC_ADDR_STRLEN];
	static int i;

	i = (i + 1) % 4;
	return ksvc_format_addr(a, buf[i], sizeof(buf[i]));
}

/* Every field of a real Service comes through. */
static void decode_test_full_service(void **state)
{
	char why[KSD_WHY_MAX] = "";
	struct ksd_service *s = NULL;
	cJSON *j = parse(full_service);

	(void)state;
	assert_int_equal(ksd_decode_service(j, &s, why), 0);
	cJSON_Delete(j);
	assert_string_equal(s->meta.name, "web");
	assert_string_equal(s->meta.namespace, "shop");
	assert_string_equal(s->meta.uid, "6f1c3b8e-5d0a-4b8e-9a51-0d6e2f0a7c11");
	assert_string_equal(s->meta.resource_version, "48213");
	assert_int_equal(s->meta.nlabels, 2);
	assert_string_equal(ksd_meta_label(&s->meta, "tier"), "front");
	assert_null(ksd_meta_label(&s->meta, "note"));
	assert_int_equal(s->type, KSD_SVC_LOAD_BALANCER);
	assert_false(s->headless);
	assert_int_equal(s->ncluster_ips, 2);
	assert_string_equal(addr(&s->cluster_ips[0]), "10.96.12.7");
	assert_string_equal(addr(&s->cluster_ips[1]), "fd00:96::c7");
	assert_int_equal(s->nip_families, 2);
	assert_int_equal(s->ip_families[0], AF_INET);
	assert_int_equal(s->ip_families[1], AF_INET6);

	assert_int_equal(s->nports, 4);
	assert_string_equal(s->ports[0].name, "http");
	assert_int_equal(s->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(s->ports[0].port, 80);
	assert_int_equal(s->ports[0].target_port, 8080);
	assert_null(s->ports[0].target_port_name);
	assert_int_equal(s->ports[0].node_port, 30080);
	assert_int_equal(s->ports[1].target_port, 0);
	assert_string_equal(s->ports[1].target_port_name, "https-web");
	assert_int_equal(s->ports[2].proto, IPPROTO_UDP);
	assert_int_equal(s->ports[2].target_port, 53);	/* defaults to port */
	assert_int_equal(s->ports[3].proto, IPPROTO_SCTP);
	assert_int_equal(s->ports[3].node_port, 30905);

	assert_int_equal(s->nselector, 1);
	assert_string_equal(s->selector[0].key, "app");
	assert_string_equal(s->selector[0].value, "web");
	assert_int_equal(s->nexternal_ips, 2);
	assert_string_equal(addr(&s->external_ips[1]), "2001:db8::10");
	assert_int_equal(s->affinity, KSD_AFFINITY_CLIENT_IP);
	assert_int_equal(s->affinity_timeout, 600);
	assert_int_equal(s->external_policy, KSD_POLICY_LOCAL);
	assert_int_equal(s->internal_policy, KSD_POLICY_LOCAL);
	assert_int_equal(s->health_check_node_port, 32000);
	assert_int_equal(s->nlb_source_ranges, 2);
	assert_string_equal(addr(&s->lb_source_ranges[0].addr), "203.0.113.0");
	assert_int_equal(s->lb_source_ranges[0].prefixlen, 24);
	/* Trimmed and masked, as kube-proxy reads it. */
	assert_string_equal(addr(&s->lb_source_ranges[1].addr), "198.51.0.0");
	assert_int_equal(s->lb_source_ranges[1].prefixlen, 16);
	assert_int_equal(s->traffic_distribution, KSD_TD_PREFER_CLOSE);
	assert_null(s->external_name);

	assert_int_equal(s->ningress, 4);
	assert_true(s->ingress[0].has_ip);
	assert_int_equal(s->ingress[0].ip_mode, KSD_IP_MODE_VIP);
	assert_int_equal(s->ingress[1].ip_mode, KSD_IP_MODE_PROXY);
	assert_string_equal(addr(&s->ingress[2].ip), "198.51.100.22");
	assert_int_equal(s->ingress[2].ip_mode, KSD_IP_MODE_UNSET);
	assert_false(s->ingress[3].has_ip);
	ksd_service_free(s);
}

/* The least a Service can be, and the API's defaults for the rest. */
static void decode_test_defaults(void **state)
{
	char why[KSD_WHY_MAX] = "";
	struct ksd_service *s = NULL;
	cJSON *j = parse("{\"metadata\":{\"name\":\"a\"},"
			 "\"spec\":{\"ports\":[{\"port\":8080}]}}");

	(void)state;
	assert_int_equal(ksd_decode_service(j, &s, why), 0);
	cJSON_Delete(j);
	assert_string_equal(s->meta.namespace, "default");
	assert_null(s->meta.uid);
	assert_null(s->meta.resource_version);
	assert_int_equal(s->type, KSD_SVC_CLUSTER_IP);
	assert_int_equal(s->ncluster_ips, 0);
	assert_false(s->headless);
	assert_string_equal(s->ports[0].name, "");
	assert_int_equal(s->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(s->ports[0].target_port, 8080);
	assert_int_equal(s->ports[0].node_port, 0);
	assert_int_equal(s->affinity, KSD_AFFINITY_NONE);
	assert_int_equal(s->affinity_timeout, 0);
	assert_int_equal(s->external_policy, KSD_POLICY_CLUSTER);
	assert_int_equal(s->internal_policy, KSD_POLICY_CLUSTER);
	assert_int_equal(s->traffic_distribution, KSD_TD_NONE);
	ksd_service_free(s);

	/* ClientIP without a config: Kubernetes' default timeout. */
	j = parse("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"sessionAffinity\":"
		  "\"ClientIP\",\"trafficDistribution\":\"PreferSomewhereNew\"}}");
	assert_int_equal(ksd_decode_service(j, &s, why), 0);
	cJSON_Delete(j);
	assert_int_equal(s->affinity_timeout, KSD_AFFINITY_TIMEOUT_DEFAULT);
	assert_int_equal(s->traffic_distribution, KSD_TD_OTHER);
	ksd_service_free(s);
}

/* clusterIP None, ExternalName, a lone clusterIP, nulls as unset. */
static void decode_test_kinds(void **state)
{
	char why[KSD_WHY_MAX] = "";
	struct ksd_service *s = NULL;
	cJSON *j;

	(void)state;
	j = parse("{\"metadata\":{\"name\":\"h\"},\"spec\":"
		  "{\"clusterIP\":\"None\",\"clusterIPs\":[\"None\"]}}");
	assert_int_equal(ksd_decode_service(j, &s, why), 0);
	cJSON_Delete(j);
	assert_true(s->headless);
	assert_int_equal(s->ncluster_ips, 0);
	ksd_service_free(s);

	j = parse("{\"metadata\":{\"name\":\"x\"},\"spec\":{\"type\":"
		  "\"ExternalName\",\"externalName\":\"db.example.com\"}}");
	assert_int_equal(ksd_decode_service(j, &s, why), 0);
	cJSON_Delete(j);
	assert_int_equal(s->type, KSD_SVC_EXTERNAL_NAME);
	assert_string_equal(s->external_name, "db.example.com");
	ksd_service_free(s);

	j = parse("{\"metadata\":{\"name\":\"c\",\"labels\":null},\"spec\":"
		  "{\"clusterIP\":\"fd00::1\",\"ports\":null,\"selector\":null}}");
	assert_int_equal(ksd_decode_service(j, &s, why), 0);
	cJSON_Delete(j);
	assert_int_equal(s->ncluster_ips, 1);
	assert_string_equal(addr(&s->cluster_ips[0]), "fd00::1");
	ksd_service_free(s);
}

static void decode_test_full_slice(void **state)
{
	char why[KSD_WHY_MAX] = "";
	struct ksd_slice *sl = NULL;
	const struct ksd_endpoint *ep;
	cJSON *j = parse(full_slice);

	(void)state;
	assert_int_equal(ksd_decode_slice(j, &sl, why), 0);
	cJSON_Delete(j);
	assert_string_equal(sl->meta.name, "web-x7k2p");
	assert_string_equal(sl->meta.namespace, "shop");
	assert_string_equal(sl->meta.resource_version, "48240");
	assert_string_equal(sl->service_name, "web");
	assert_int_equal(sl->family, AF_INET);
	assert_int_equal(sl->nendpoints, 3);

	ep = &sl->endpoints[0];
	assert_int_equal(ep->naddrs, 1);
	assert_string_equal(addr(&ep->addrs[0]), "10.244.1.5");
	assert_int_equal(ep->ready, KSD_COND_TRUE);
	assert_int_equal(ep->serving, KSD_COND_TRUE);
	assert_int_equal(ep->terminating, KSD_COND_FALSE);
	assert_string_equal(ep->node_name, "node-a");
	assert_string_equal(ep->zone, "zone-1");
	assert_string_equal(ep->hostname, "web-1");
	assert_true(ep->has_hints);
	assert_int_equal(ep->nhint_zones, 1);
	assert_string_equal(ep->hint_zones[0], "zone-1");
	assert_int_equal(ep->nhint_nodes, 1);
	assert_string_equal(ep->hint_nodes[0], "node-a");

	ep = &sl->endpoints[1];
	assert_int_equal(ep->naddrs, 2);
	assert_string_equal(addr(&ep->addrs[1]), "10.244.2.10");
	assert_false(ksd_endpoint_ready(ep));
	assert_true(ksd_endpoint_serving(ep));
	assert_true(ksd_endpoint_terminating(ep));
	assert_false(ep->has_hints);

	/* Absent conditions: ready and serving, not terminating. */
	ep = &sl->endpoints[2];
	assert_int_equal(ep->ready, KSD_COND_UNSET);
	assert_true(ksd_endpoint_ready(ep));
	assert_true(ksd_endpoint_serving(ep));
	assert_false(ksd_endpoint_terminating(ep));
	assert_null(ep->node_name);
	assert_null(ep->zone);
	assert_null(ep->hostname);

	assert_int_equal(sl->nports, 3);
	assert_string_equal(sl->ports[0].name, "http");
	assert_int_equal(sl->ports[0].port, 8080);
	assert_int_equal(sl->ports[1].proto, IPPROTO_UDP);
	assert_int_equal(sl->ports[2].port, 0);		/* "all ports" */
	assert_int_equal(sl->ports[2].proto, IPPROTO_TCP);
	ksd_slice_free(sl);
}

/* FQDN slices decode; their addresses are names, not parsed. IPv6 ones
 * take IPv6 addresses only. */
static void decode_test_slice_families(void **state)
{
	char why[KSD_WHY_MAX] = "";
	struct ksd_slice *sl = NULL;
	cJSON *j;

	(void)state;
	j = parse("{\"apiVersion\":\"discovery.k8s.io/v1\",\"metadata\":"
		  "{\"name\":\"f\"},\"addressType\":\"FQDN\",\"endpoints\":"
		  "[{\"addresses\":[\"db.example.com\"]}]}");
	assert_int_equal(ksd_decode_slice(j, &sl, why), 0);
	cJSON_Delete(j);
	assert_int_equal(sl->family, 0);
	assert_null(sl->service_name);
	assert_int_equal(sl->endpoints[0].naddrs, 0);
	ksd_slice_free(sl);

	j = parse("{\"metadata\":{\"name\":\"v6\"},\"addressType\":\"IPv6\","
		  "\"endpoints\":[{\"addresses\":[\"fd00:244::5\"]}],"
		  "\"ports\":[{\"port\":80}]}");
	assert_int_equal(ksd_decode_slice(j, &sl, why), 0);
	cJSON_Delete(j);
	assert_int_equal(sl->family, AF_INET6);
	assert_string_equal(addr(&sl->endpoints[0].addrs[0]), "fd00:244::5");
	assert_string_equal(sl->ports[0].name, "");
	ksd_slice_free(sl);
}

/* The same object in YAML decodes the same. */
static void decode_test_from_yaml(void **state)
{
	static const char yaml[] =
		"apiVersion: v1\nkind: Service\nmetadata:\n  name: y\n"
		"spec:\n  clusterIP: 10.96.0.9\n  ports:\n"
		"  - {name: web, port: 80, targetPort: web-port}\n"
		"  - {name: alt, port: 81, targetPort: 8081}\n";
	char why[KSD_WHY_MAX] = "", ywhy[KSD_YAML_WHY_MAX];
	struct ksd_service *s = NULL;
	cJSON *docs;

	(void)state;
	assert_int_equal(ksd_yaml_parse(yaml, strlen(yaml), &docs, ywhy), 0);
	if (ksd_decode_service(cJSON_GetArrayItem(docs, 0), &s, why))
		fail_msg("%s", why);
	cJSON_Delete(docs);
	assert_string_equal(s->ports[0].target_port_name, "web-port");
	assert_int_equal(s->ports[1].target_port, 8081);
	ksd_service_free(s);
}

struct bad_case {
	const char *json;
	const char *why;
};

#define SVC(spec) "{\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"s\"," \
		  "\"namespace\":\"ns\"},\"spec\":{" spec "}}"
#define PORT(p) SVC("\"ports\":[" p "]")

static const struct bad_case bad_services[] = {
	{ "[]", "Service default/(unnamed): (object): must be an object, "
		"not a list" },
	{ "{\"spec\":{}}", "Service default/(unnamed): metadata.name: missing" },
	{ "{\"metadata\":{\"name\":7}}",
	  "Service default/(unnamed): metadata.name: must be a string, not a "
	  "number" },
	{ "{\"metadata\":\"x\"}",
	  "Service default/(unnamed): metadata: must be an object, not a "
	  "string" },
	{ "{\"apiVersion\":\"v2\",\"metadata\":{\"name\":\"s\"}}",
	  "Service default/s: apiVersion: \"v2\" is not v1" },
	{ "{\"metadata\":{\"name\":\"s\",\"labels\":{\"a\":1}}}",
	  "Service default/s: metadata.labels[a]: must be a string, not a "
	  "number" },
	{ "{\"metadata\":{\"name\":\"s\",\"uid\":[]}}",
	  "Service default/s: metadata.uid: must be a string, not a list" },
	{ "{\"metadata\":{\"name\":\"s\"},\"spec\":[]}",
	  "Service default/s: spec: must be an object, not a list" },
	{ SVC("\"type\":\"Internal\""),
	  "Service ns/s: spec.type: unknown value \"Internal\"" },
	{ SVC("\"clusterIP\":\"10.96.0.300\""),
	  "Service ns/s: spec.clusterIP: \"10.96.0.300\" is not an IP "
	  "address" },
	{ SVC("\"clusterIPs\":[\"10.0.0.1\",\"10.0.0.2\"]"),
	  "Service ns/s: spec.clusterIPs[1]: two addresses of one family" },
	{ SVC("\"clusterIP\":\"10.0.0.1\",\"clusterIPs\":[\"10.0.0.2\"]"),
	  "Service ns/s: spec.clusterIPs[0]: \"10.0.0.2\" is not "
	  "spec.clusterIP \"10.0.0.1\"" },
	{ SVC("\"clusterIPs\":\"10.0.0.1\""),
	  "Service ns/s: spec.clusterIPs: must be a list, not a string" },
	{ SVC("\"ipFamilies\":[\"IPv5\"]"),
	  "Service ns/s: spec.ipFamilies[0]: unknown value \"IPv5\"" },
	{ PORT("{\"port\":70000}"),
	  "Service ns/s: spec.ports[0].port: 70000 is out of range "
	  "(1..65535)" },
	{ PORT("{\"port\":0}"),
	  "Service ns/s: spec.ports[0].port: 0 is out of range (1..65535)" },
	{ PORT("{\"port\":\"80\"}"),
	  "Service ns/s: spec.ports[0].port: must be an integer, not a "
	  "string" },
	{ PORT("{\"port\":80.5}"),
	  "Service ns/s: spec.ports[0].port: 80.5 is not an integer" },
	{ PORT("{\"name\":\"a\"}"), "Service ns/s: spec.ports[0].port: missing" },
	{ PORT("{\"port\":80,\"protocol\":\"ICMP\"}"),
	  "Service ns/s: spec.ports[0].protocol: unknown value \"ICMP\"" },
	{ PORT("{\"port\":80,\"protocol\":\"tcp\"}"),
	  "Service ns/s: spec.ports[0].protocol: unknown value \"tcp\"" },
	{ PORT("{\"port\":80,\"targetPort\":-1}"),
	  "Service ns/s: spec.ports[0].targetPort: -1 is out of range "
	  "(1..65535)" },
	{ PORT("{\"port\":80,\"targetPort\":\"8080\"}"),
	  "Service ns/s: spec.ports[0].targetPort: \"8080\" is not a port "
	  "name" },
	{ PORT("{\"port\":80,\"targetPort\":\"Web_Port\"}"),
	  "Service ns/s: spec.ports[0].targetPort: \"Web_Port\" is not a "
	  "port name" },
	{ PORT("{\"port\":80,\"targetPort\":true}"),
	  "Service ns/s: spec.ports[0].targetPort: must be an integer or a "
	  "port name, not a boolean" },
	{ PORT("{\"port\":80,\"nodePort\":65536}"),
	  "Service ns/s: spec.ports[0].nodePort: 65536 is out of range "
	  "(0..65535)" },
	{ PORT("{\"name\":\"a\",\"port\":80},{\"port\":81}"),
	  "Service ns/s: spec.ports[1]: name is required when a service has "
	  "several ports" },
	{ PORT("{\"name\":\"a\",\"port\":80},{\"name\":\"a\",\"port\":81}"),
	  "Service ns/s: spec.ports[1]: duplicate port name \"a\"" },
	{ PORT("7"),
	  "Service ns/s: spec.ports[0]: must be an object, not a number" },
	{ SVC("\"selector\":{\"app\":{\"x\":1}}"),
	  "Service ns/s: spec.selector[app]: must be a string, not an "
	  "object" },
	{ SVC("\"externalIPs\":[\"192.0.2.1\",\"example.com\"]"),
	  "Service ns/s: spec.externalIPs[1]: \"example.com\" is not an IP "
	  "address" },
	{ SVC("\"sessionAffinity\":\"Cookie\""),
	  "Service ns/s: spec.sessionAffinity: unknown value \"Cookie\"" },
	{ SVC("\"sessionAffinity\":\"ClientIP\",\"sessionAffinityConfig\":"
	      "{\"clientIP\":{\"timeoutSeconds\":86401}}"),
	  "Service ns/s: spec.sessionAffinityConfig.clientIP.timeoutSeconds: "
	  "86401 is out of range (1..86400)" },
	{ SVC("\"externalTrafficPolicy\":\"Nearby\""),
	  "Service ns/s: spec.externalTrafficPolicy: unknown value "
	  "\"Nearby\"" },
	{ SVC("\"internalTrafficPolicy\":1"),
	  "Service ns/s: spec.internalTrafficPolicy: must be a string, not a "
	  "number" },
	{ SVC("\"loadBalancerSourceRanges\":[\"10.0.0.0\"]"),
	  "Service ns/s: spec.loadBalancerSourceRanges[0]: \"10.0.0.0\" is "
	  "not a CIDR" },
	{ SVC("\"loadBalancerSourceRanges\":[\"10.0.0.0/33\"]"),
	  "Service ns/s: spec.loadBalancerSourceRanges[0]: \"10.0.0.0/33\" is "
	  "not a CIDR" },
	{ SVC("\"healthCheckNodePort\":-3"),
	  "Service ns/s: spec.healthCheckNodePort: -3 is out of range "
	  "(0..65535)" },
	{ SVC("\"externalName\":false"),
	  "Service ns/s: spec.externalName: must be a string, not a boolean" },
	{ SVC("\"trafficDistribution\":[]"),
	  "Service ns/s: spec.trafficDistribution: must be a string, not a "
	  "list" },
	{ "{\"metadata\":{\"name\":\"s\"},\"status\":{\"loadBalancer\":"
	  "{\"ingress\":[{\"ip\":\"1.2.3\"}]}}}",
	  "Service default/s: status.loadBalancer.ingress[0].ip: \"1.2.3\" is "
	  "not an IP address" },
	{ "{\"metadata\":{\"name\":\"s\"},\"status\":{\"loadBalancer\":"
	  "{\"ingress\":[{\"ip\":\"1.2.3.4\",\"ipMode\":\"Tunnel\"}]}}}",
	  "Service default/s: status.loadBalancer.ingress[0].ipMode: unknown "
	  "value \"Tunnel\"" },
	{ "{\"metadata\":{\"name\":\"s\"},\"status\":{\"loadBalancer\":"
	  "{\"ingress\":{}}}}",
	  "Service default/s: status.loadBalancer.ingress: must be a list, not "
	  "an object" },
};

#define SLICE(body) "{\"apiVersion\":\"discovery.k8s.io/v1\",\"metadata\":" \
		    "{\"name\":\"e\",\"namespace\":\"ns\"}," body "}"
#define V4(body) SLICE("\"addressType\":\"IPv4\"," body)

static const struct bad_case bad_slices[] = {
	{ "\"x\"", "EndpointSlice default/(unnamed): (object): must be an "
		   "object, not a string" },
	{ "{\"apiVersion\":\"discovery.k8s.io/v1beta1\",\"metadata\":"
	  "{\"name\":\"e\"},\"addressType\":\"IPv4\"}",
	  "EndpointSlice default/e: apiVersion: \"discovery.k8s.io/v1beta1\" "
	  "is not discovery.k8s.io/v1" },
	{ SLICE("\"endpoints\":[]"),
	  "EndpointSlice ns/e: addressType: missing" },
	{ SLICE("\"addressType\":\"IPv7\""),
	  "EndpointSlice ns/e: addressType: unknown value \"IPv7\"" },
	{ V4("\"endpoints\":{}"),
	  "EndpointSlice ns/e: endpoints: must be a list, not an object" },
	{ V4("\"endpoints\":[{\"addresses\":[]}]"),
	  "EndpointSlice ns/e: endpoints[0].addresses: missing" },
	{ V4("\"endpoints\":[{}]"),
	  "EndpointSlice ns/e: endpoints[0].addresses: missing" },
	{ V4("\"endpoints\":[{\"addresses\":[\"10.0.0.1\"]},"
	     "{\"addresses\":[\"fd00::1\"]}]"),
	  "EndpointSlice ns/e: endpoints[1].addresses[0]: \"fd00::1\" is not "
	  "an IPv4 address" },
	{ V4("\"endpoints\":[{\"addresses\":[\"10.0.0.256\"]}]"),
	  "EndpointSlice ns/e: endpoints[0].addresses[0]: \"10.0.0.256\" is "
	  "not an IP address" },
	{ V4("\"endpoints\":[{\"addresses\":[5]}]"),
	  "EndpointSlice ns/e: endpoints[0].addresses[0]: must be a string, "
	  "not a number" },
	{ V4("\"endpoints\":[{\"addresses\":[\"10.0.0.1\"],\"conditions\":"
	     "{\"ready\":\"true\"}}]"),
	  "EndpointSlice ns/e: endpoints[0].conditions.ready: must be a "
	  "boolean, not a string" },
	{ V4("\"endpoints\":[{\"addresses\":[\"10.0.0.1\"],\"conditions\":"
	     "{\"terminating\":1}}]"),
	  "EndpointSlice ns/e: endpoints[0].conditions.terminating: must be a "
	  "boolean, not a number" },
	{ V4("\"endpoints\":[{\"addresses\":[\"10.0.0.1\"],\"hostname\":1}]"),
	  "EndpointSlice ns/e: endpoints[0].hostname: must be a string, not a "
	  "number" },
	{ V4("\"endpoints\":[{\"addresses\":[\"10.0.0.1\"],\"nodeName\":3}]"),
	  "EndpointSlice ns/e: endpoints[0].nodeName: must be a string, not a "
	  "number" },
	{ V4("\"endpoints\":[{\"addresses\":[\"10.0.0.1\"],\"hints\":"
	     "{\"forZones\":[{\"nam\":\"z\"}]}}]"),
	  "EndpointSlice ns/e: endpoints[0].hints.forZones[0].name: missing" },
	{ V4("\"endpoints\":[{\"addresses\":[\"10.0.0.1\"],\"hints\":"
	     "{\"forNodes\":\"n\"}}]"),
	  "EndpointSlice ns/e: endpoints[0].hints.forNodes: must be a list, "
	  "not a string" },
	{ V4("\"ports\":[{\"port\":0}]"),
	  "EndpointSlice ns/e: ports[0].port: 0 is out of range (1..65535)" },
	{ V4("\"ports\":[{\"port\":8080,\"protocol\":\"QUIC\"}]"),
	  "EndpointSlice ns/e: ports[0].protocol: unknown value \"QUIC\"" },
	{ V4("\"ports\":[{\"port\":8080,\"name\":[]}]"),
	  "EndpointSlice ns/e: ports[0].name: must be a string, not a list" },
	{ V4("\"ports\":[{\"port\":1e10}]"),
	  "EndpointSlice ns/e: ports[0].port: 10000000000 is out of range "
	  "(1..65535)" },
};

static void run_bad(const struct bad_case *cases, size_t n, bool slices)
{
	for (size_t i = 0; i < n; i++) {
		char why[KSD_WHY_MAX] = "";
		struct ksd_service *svc = NULL;
		struct ksd_slice *sl = NULL;
		cJSON *j = parse(cases[i].json);
		int ret = slices ? ksd_decode_slice(j, &sl, why) :
				   ksd_decode_service(j, &svc, why);

		cJSON_Delete(j);
		if (ret != -EINVAL || strcmp(why, cases[i].why))
			fail_msg("case %zu: %d \"%s\", expected \"%s\"", i, ret,
				 why, cases[i].why);
		assert_null(svc);
		assert_null(sl);
	}
}

/* Every bad field is refused with one message naming it. */
static void decode_test_bad_services(void **state)
{
	(void)state;
	run_bad(bad_services, sizeof(bad_services) / sizeof(bad_services[0]),
		false);
}

static void decode_test_bad_slices(void **state)
{
	(void)state;
	run_bad(bad_slices, sizeof(bad_slices) / sizeof(bad_slices[0]), true);
}

/* Every prefix of a real object, every field's value swapped for every
 * JSON type: refused or accepted, never a crash or a leak. */
/* A real-shaped Node: addresses (hostnames left out), zone, deletion,
 * the autoscaler's taint. */
static void decode_test_node(void **state)
{
	static const char *const good =
"{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"node-a\","
" \"uid\":\"u\",\"resourceVersion\":\"7\",\"labels\":{"
" \"kubernetes.io/hostname\":\"node-a\","
" \"topology.kubernetes.io/zone\":\"eu-1a\"}},"
" \"spec\":{\"podCIDR\":\"10.244.1.0/24\"},"
" \"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"192.0.2.1\"},"
"  {\"type\":\"InternalIP\",\"address\":\"2001:db8::1\"},"
"  {\"type\":\"Hostname\",\"address\":\"node-a\"}]}}";
	static const char *const deleting =
"{\"metadata\":{\"name\":\"node-b\",\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"}}";
	/* The cluster autoscaler's taint, among others. */
	static const char *const tainted =
"{\"metadata\":{\"name\":\"node-c\"},\"spec\":{\"taints\":["
" {\"key\":\"node.kubernetes.io/unschedulable\",\"effect\":\"NoSchedule\"},"
" {\"key\":\"ToBeDeletedByClusterAutoscaler\",\"value\":\"1700000000\","
"  \"effect\":\"NoSchedule\"}]}}";
	static const char *const bad[] = {
		"{\"metadata\":{\"name\":\"n\",\"deletionTimestamp\":1}}",
		"{\"metadata\":{\"name\":\"n\"},\"status\":{\"addresses\":{}}}",
		"{\"metadata\":{\"name\":\"n\"},\"status\":{\"addresses\":[1]}}",
		"{\"apiVersion\":\"v2\",\"metadata\":{\"name\":\"n\"}}",
		"{\"metadata\":{}}",
		"{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":{}}}",
		"{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[1]}}",
		"{\"metadata\":{\"name\":\"n\"},\"spec\":{\"taints\":[{\"key\":1}]}}",
	};
	char why[KSD_WHY_MAX];
	struct ksd_node *n;
	cJSON *j;

	(void)state;
	j = parse(good);
	assert_int_equal(ksd_decode_node(j, &n, why), 0);
	cJSON_Delete(j);
	assert_string_equal(n->meta.name, "node-a");
	assert_string_equal(n->zone, "eu-1a");
	assert_false(n->deleting);
	assert_false(n->to_be_deleted);
	assert_int_equal(n->naddrs, 2);
	assert_string_equal(n->addrs[0].type, "InternalIP");
	assert_string_equal(addr(&n->addrs[0].addr), "192.0.2.1");
	assert_string_equal(addr(&n->addrs[1].addr), "2001:db8::1");
	ksd_node_free(n);

	j = parse(deleting);
	assert_int_equal(ksd_decode_node(j, &n, why), 0);
	cJSON_Delete(j);
	assert_true(n->deleting);
	assert_false(n->to_be_deleted);
	assert_null(n->zone);
	assert_int_equal(n->naddrs, 0);
	ksd_node_free(n);

	j = parse(tainted);
	assert_int_equal(ksd_decode_node(j, &n, why), 0);
	cJSON_Delete(j);
	assert_false(n->deleting);
	assert_true(n->to_be_deleted);
	ksd_node_free(n);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = parse(bad[i]);
		n = NULL;
		assert_int_equal(ksd_decode_node(j, &n, why), -EINVAL);
		assert_null(n);
		assert_non_null(strstr(why, "Node "));
		cJSON_Delete(j);
	}
}

/* k8s.io/utils/net's ParseIPSloppy: leading zeros of a dotted quad are
 * dropped and each number read as decimal (not octal: 010 is 10). */
static void decode_test_sloppy_ip(void **state)
{
	static const struct { const char *in, *want; } t[] = {
		{ "10.96.0.10", "10.96.0.10" },
		{ "010.096.000.010", "10.96.0.10" },
		{ "0010.0.00.0255", "10.0.0.255" },
		{ "2001:db8::1", "2001:db8::1" },
		{ "::ffff:010.001.002.003", "::ffff:10.1.2.3" },
		{ "0:0:0:0:0:ffff:192.000.002.001", "::ffff:192.0.2.1" },
		{ "010.096.000.256", NULL },	/* still out of range */
		{ "010.096.000", NULL },
		{ "010.096.000.010.1", NULL },
		{ "010.096.000.0x1", NULL },
		{ "010.096.000.010/24", NULL },	/* not an address */
		{ " 10.96.0.10", NULL },
		{ "", NULL },
		{ "node-a", NULL },
	};
	struct ksvc_addr a;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int ret = ksd_parse_ip_sloppy(t[i].in, &a);

		if (!t[i].want) {
			if (ret != -EINVAL)
				fail_msg("\"%s\": accepted", t[i].in);
			continue;
		}
		if (ret)
			fail_msg("\"%s\": refused", t[i].in);
		assert_string_equal(addr(&a), t[i].want);
	}
}

/* Every address kube-proxy reads with ParseIPSloppy (ParseCIDRSloppy for
 * loadBalancerSourceRanges): the Service's, the slice's, the Node's. */
static void decode_test_sloppy_objects(void **state)
{
	static const char *const svc_json =
"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"},"
" \"spec\":{\"type\":\"LoadBalancer\",\"clusterIP\":\"010.096.000.010\","
"  \"clusterIPs\":[\"010.096.000.010\"],\"externalIPs\":[\"192.000.002.007\"],"
"  \"loadBalancerIP\":\"203.000.113.001\","
"  \"loadBalancerSourceRanges\":[\"198.051.100.000/24\"],"
"  \"ports\":[{\"port\":80,\"nodePort\":30080}]},"
" \"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"203.000.113.009\"}]}}}";
	static const char *const slice_json =
"{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\","
" \"metadata\":{\"name\":\"e\"},\"addressType\":\"IPv4\","
" \"endpoints\":[{\"addresses\":[\"010.244.001.005\"]}]}";
	static const char *const node_json =
"{\"metadata\":{\"name\":\"n\"},\"status\":{\"addresses\":["
" {\"type\":\"InternalIP\",\"address\":\"192.000.002.001\"}]}}";
	char why[KSD_WHY_MAX];
	struct ksd_service *svc;
	struct ksd_slice *sl;
	struct ksd_node *n;
	cJSON *j;

	(void)state;
	j = parse(svc_json);
	if (ksd_decode_service(j, &svc, why))
		fail_msg("%s", why);
	cJSON_Delete(j);
	assert_int_equal(svc->ncluster_ips, 1);
	assert_string_equal(addr(&svc->cluster_ips[0]), "10.96.0.10");
	assert_string_equal(addr(&svc->external_ips[0]), "192.0.2.7");
	assert_string_equal(addr(&svc->lb_ip), "203.0.113.1");
	assert_string_equal(addr(&svc->lb_source_ranges[0].addr),
			    "198.51.100.0");
	assert_int_equal(svc->lb_source_ranges[0].prefixlen, 24);
	assert_string_equal(addr(&svc->ingress[0].ip), "203.0.113.9");
	ksd_service_free(svc);

	j = parse(slice_json);
	if (ksd_decode_slice(j, &sl, why))
		fail_msg("%s", why);
	cJSON_Delete(j);
	assert_string_equal(addr(&sl->endpoints[0].addrs[0]), "10.244.1.5");
	ksd_slice_free(sl);

	j = parse(node_json);
	if (ksd_decode_node(j, &n, why))
		fail_msg("%s", why);
	cJSON_Delete(j);
	assert_int_equal(n->naddrs, 1);
	assert_string_equal(addr(&n->addrs[0].addr), "192.0.2.1");
	ksd_node_free(n);
}

static void decode_test_mutations(void **state)
{
	static const char *const values[] = { "null", "true", "-1", "1.5",
					      "\"x\"", "[]", "{}", "[1]",
					      "99999999999" };
	const char *docs[] = { full_service, full_slice };
	char why[KSD_WHY_MAX];

	(void)state;
	for (size_t d = 0; d < 2; d++) {
		cJSON *orig = parse(docs[d]);
		/* A walk over every member of every object, by path. */
		cJSON *stack[64];
		size_t depth = 0;

		stack[depth++] = orig;
		while (depth) {
			cJSON *node = stack[--depth], *child;

			cJSON_ArrayForEach(child, node) {
				if ((cJSON_IsObject(child) ||
				     cJSON_IsArray(child)) && depth < 64)
					stack[depth++] = child;
				for (size_t v = 0; v < 9; v++) {
					cJSON *saved = cJSON_Duplicate(child, 1);
					cJSON *repl = cJSON_Parse(values[v]);
					struct ksd_service *s = NULL;
					struct ksd_slice *sl = NULL;

					/* Swap the value in place. */
					cJSON_Delete(child->child);
					free(child->valuestring);
					child->child = repl->child;
					child->valuestring = repl->valuestring;
					child->valuedouble = repl->valuedouble;
					child->valueint = repl->valueint;
					child->type = repl->type |
						      (child->type &
						       cJSON_StringIsConst);
					repl->child = NULL;
					repl->valuestring = NULL;
					cJSON_Delete(repl);
					if (d == 0 &&
					    !ksd_decode_service(orig, &s, why))
						ksd_service_free(s);
					if (d == 1 &&
					    !ksd_decode_slice(orig, &sl, why))
						ksd_slice_free(sl);
					/* And back. */
					cJSON_Delete(child->child);
					free(child->valuestring);
					child->child = saved->child;
					child->valuestring = saved->valuestring;
					child->valuedouble = saved->valuedouble;
					child->valueint = saved->valueint;
					child->type = saved->type;
					saved->child = NULL;
					saved->valuestring = NULL;
					cJSON_Delete(saved);
				}
			}
		}
		cJSON_Delete(orig);
	}
}

/* metadata.creationTimestamp as the API writes it (RFC 3339), and what
 * is not one: unknown, which loses every conflict (model.h). */
static void decode_test_created(void **state)
{
	(void)state;
	assert_int_equal(ksd_parse_time("2026-12-05T10:00:00Z"), 1796464800);
	assert_int_equal(ksd_parse_time("2026-12-05T10:00:00.123456Z"),
			 1796464800);
	assert_int_equal(ksd_parse_time("2026-12-05T11:30:00+01:30"),
			 1796464800);
	assert_int_equal(ksd_parse_time("2026-12-05T08:00:00-02:00"),
			 1796464800);
	assert_true(ksd_parse_time("2026-12-05T10:00:00") == KSD_CREATED_UNKNOWN);
	assert_true(ksd_parse_time("2026-12-05T10:00:00Zjunk") ==
		    KSD_CREATED_UNKNOWN);
	assert_true(ksd_parse_time("2026-12-05T10:00:00+1:00") ==
		    KSD_CREATED_UNKNOWN);
	assert_true(ksd_parse_time("yesterday") == KSD_CREATED_UNKNOWN);
	assert_true(ksd_parse_time("") == KSD_CREATED_UNKNOWN);
	assert_true(ksd_parse_time(NULL) == KSD_CREATED_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode_test_full_service),
		cmocka_unit_test(decode_test_created),
		cmocka_unit_test(decode_test_node),
		cmocka_unit_test(decode_test_sloppy_ip),
		cmocka_unit_test(decode_test_sloppy_objects),
		cmocka_unit_test(decode_test_defaults),
		cmocka_unit_test(decode_test_kinds),
		cmocka_unit_test(decode_test_full_slice),
		cmocka_unit_test(decode_test_slice_families),
		cmocka_unit_test(decode_test_from_yaml),
		cmocka_unit_test(decode_test_bad_services),
		cmocka_unit_test(decode_test_bad_slices),
		cmocka_unit_test(decode_test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
