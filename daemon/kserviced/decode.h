/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kubernetes objects as C: v1 Service and discovery.k8s.io/v1 EndpointSlice,
 * decoded from their JSON (cJSON) form, with the fields kube-proxy reads.
 *
 * Decoding is strict where a wrong value would program the wrong thing
 * (ports, protocols, addresses, enums, JSON types) and lenient where the
 * API is (unknown fields are ignored). An object that does not validate is
 * rejected as a whole: the decoder returns -EINVAL and writes one line to
 * why naming the object and the field, e.g.
 *   Service default/web: spec.ports[1].port: 70000 is out of range (1..65535)
 * A rejected object is never partly filled in (the caller frees nothing).
 *
 * Every string is a copy owned by the object; ksd_*_free() release all.
 */
#ifndef KSD_DECODE_H
#define KSD_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "ksvc_types.h"

#define KSD_WHY_MAX		768

/* Labels the model reads. */
#define KSD_LABEL_SERVICE_NAME		"kubernetes.io/service-name"
#define KSD_LABEL_SERVICE_PROXY_NAME	"service.kubernetes.io/service-proxy-name"
#define KSD_LABEL_ZONE			"topology.kubernetes.io/zone"

struct ksd_label {
	char *key;
	char *value;
};

/* After every real creation time: what has none loses every tie. */
#define KSD_CREATED_UNKNOWN	INT64_MAX

struct ksd_meta {
	char *name;
	char *namespace;		/* "default" when absent */
	char *uid;			/* NULL when absent */
	char *resource_version;		/* NULL when absent */
	/* metadata.creationTimestamp in seconds since the epoch;
	 * KSD_CREATED_UNKNOWN when absent or not RFC 3339. */
	int64_t created;
	struct ksd_label *labels;
	size_t nlabels;
};

enum ksd_svc_type {
	KSD_SVC_CLUSTER_IP,		/* the default */
	KSD_SVC_NODE_PORT,
	KSD_SVC_LOAD_BALANCER,
	KSD_SVC_EXTERNAL_NAME,
};

enum ksd_policy {
	KSD_POLICY_CLUSTER,		/* the default */
	KSD_POLICY_LOCAL,
};

enum ksd_affinity {
	KSD_AFFINITY_NONE,		/* the default */
	KSD_AFFINITY_CLIENT_IP,
};

/* Kubernetes' default sessionAffinityConfig.clientIP.timeoutSeconds. */
#define KSD_AFFINITY_TIMEOUT_DEFAULT	10800
#define KSD_AFFINITY_TIMEOUT_MAX	86400

enum ksd_traffic_distribution {
	KSD_TD_NONE,			/* absent */
	KSD_TD_PREFER_CLOSE,
	KSD_TD_PREFER_SAME_ZONE,
	KSD_TD_PREFER_SAME_NODE,
	KSD_TD_OTHER,			/* a value this version does not know */
};

enum ksd_ip_mode {
	KSD_IP_MODE_UNSET,		/* treated as VIP */
	KSD_IP_MODE_VIP,
	KSD_IP_MODE_PROXY,
};

struct ksd_svc_port {
	char *name;			/* "" when absent */
	uint8_t proto;			/* IPPROTO_TCP (default), _UDP, _SCTP */
	uint16_t port;
	/* targetPort: a number, or a named container port (then
	 * target_port is 0); absent means the same as port. */
	uint16_t target_port;
	char *target_port_name;
	uint16_t node_port;		/* 0: none */
};

struct ksd_lb_ingress {
	bool has_ip;			/* hostname-only ingresses have none */
	struct ksvc_addr ip;
	enum ksd_ip_mode ip_mode;
};

struct ksd_service {
	struct ksd_meta meta;
	enum ksd_svc_type type;
	bool headless;			/* clusterIP "None" */
	struct ksvc_addr *cluster_ips;	/* clusterIPs, else [clusterIP] */
	size_t ncluster_ips;
	uint16_t ip_families[2];	/* AF_INET/AF_INET6, in spec order */
	size_t nip_families;
	struct ksd_svc_port *ports;
	size_t nports;
	struct ksd_label *selector;
	size_t nselector;
	struct ksvc_addr *external_ips;
	size_t nexternal_ips;
	enum ksd_affinity affinity;
	uint32_t affinity_timeout;	/* seconds, ClientIP only */
	enum ksd_policy external_policy;
	enum ksd_policy internal_policy;
	struct ksvc_cidr *lb_source_ranges;
	size_t nlb_source_ranges;
	char *external_name;		/* NULL when absent */
	uint16_t health_check_node_port;
	enum ksd_traffic_distribution traffic_distribution;
	struct ksd_lb_ingress *ingress;	/* status.loadBalancer.ingress */
	size_t ningress;
	/* spec.loadBalancerIP (deprecated in the API, still honoured by
	 * load-balancer implementations); family 0 when absent or "". */
	struct ksvc_addr lb_ip;
};

/* An endpoint condition: absent, or a value. */
enum ksd_cond {
	KSD_COND_UNSET = -1,
	KSD_COND_FALSE = 0,
	KSD_COND_TRUE = 1,
};

struct ksd_endpoint {
	/* Parsed for IPv4/IPv6 slices, empty for FQDN ones. kube-proxy
	 * uses only the first. */
	struct ksvc_addr *addrs;
	size_t naddrs;
	enum ksd_cond ready, serving, terminating;
	char *node_name;		/* NULL when absent */
	char *zone;			/* NULL when absent */
	char *hostname;			/* NULL when absent; for cluster DNS */
	bool has_hints;
	char **hint_zones;
	size_t nhint_zones;
	char **hint_nodes;
	size_t nhint_nodes;
};

struct ksd_slice_port {
	char *name;			/* "" when absent */
	uint8_t proto;			/* IPPROTO_TCP (default), _UDP, _SCTP */
	uint16_t port;			/* 0: absent ("all ports") */
};

struct ksd_slice {
	struct ksd_meta meta;
	uint16_t family;		/* AF_INET or AF_INET6; 0 for FQDN */
	const char *service_name;	/* the service-name label's value, or NULL */
	struct ksd_endpoint *endpoints;
	size_t nendpoints;
	struct ksd_slice_port *ports;
	size_t nports;
};

/* The taint the cluster autoscaler puts on a node it is about to delete
 * (kube-proxy's ToBeDeletedTaint). */
#define KSD_TAINT_TO_BE_DELETED		"ToBeDeletedByClusterAutoscaler"

/* A v1 Node: this node's addresses (those that parse as IPs; hostnames
 * are left out) and zone, and whether it is being deleted or about to be
 * (the autoscaler's taint). */
struct ksd_node_addr {
	char *type;			/* InternalIP, ExternalIP, ... */
	struct ksvc_addr addr;
};

struct ksd_node {
	struct ksd_meta meta;
	const char *zone;		/* the zone label's value, or NULL */
	bool deleting;			/* metadata.deletionTimestamp set */
	bool to_be_deleted;		/* KSD_TAINT_TO_BE_DELETED in
					 * spec.taints */
	struct ksd_node_addr *addrs;
	size_t naddrs;
};

int ksd_decode_service(const cJSON *obj, struct ksd_service **svcp,
		       char *why);
int ksd_decode_slice(const cJSON *obj, struct ksd_slice **slicep, char *why);
int ksd_decode_node(const cJSON *obj, struct ksd_node **nodep, char *why);
void ksd_node_free(struct ksd_node *node);
void ksd_service_free(struct ksd_service *svc);
void ksd_slice_free(struct ksd_slice *slice);

/*
 * An IP address as kube-proxy reads every address of these objects
 * (k8s.io/utils/net ParseIPSloppy): as inet_pton, or else with the leading
 * zeros of a dotted quad (alone, or ending an IPv6 address) dropped, each
 * number decimal: "010.096.000.010" is 10.96.0.10, which the API may have
 * stored before Go refused such addresses. Returns 0 or -EINVAL.
 */
int ksd_parse_ip_sloppy(const char *s, struct ksvc_addr *addr);
/* ksvc_parse_cidr() with the address read as ksd_parse_ip_sloppy()
 * (ParseCIDRSloppy, which kube-proxy reads --cluster-cidr and
 * --nodeport-addresses with). */
int ksd_parse_cidr_sloppy(const char *s, struct ksvc_cidr *cidr,
			  const char **why);

/* The value of label key, or NULL. */
const char *ksd_meta_label(const struct ksd_meta *meta, const char *key);
int64_t ksd_parse_time(const char *s);

/* Condition helpers with the API's defaults for absent values: ready and
 * serving true, terminating false. */
bool ksd_endpoint_ready(const struct ksd_endpoint *ep);
bool ksd_endpoint_serving(const struct ksd_endpoint *ep);
bool ksd_endpoint_terminating(const struct ksd_endpoint *ep);

#endif /* KSD_DECODE_H */
