// SPDX-License-Identifier: GPL-2.0
/*
 * Shared by the fuzz targets over cluster-controlled input; see
 * fuzz_util.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "fuzz_util.h"
#include "log.h"

void fuzz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

/* log.h: one line per event, control characters written as '?'. */
static void sink(int level, const char *line, void *arg)
{
	(void)level;
	(void)arg;
	for (const char *p = line; *p; p++)
		fuzz_assert((unsigned char)*p >= 0x20 && *p != 0x7f);
}

void fuzz_quiet_log(void)
{
	ksd_log_set_sink(sink, NULL);
}

/* Weak: a target's own replaces it. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_log();
	return 0;
}

const char *fuzz_meta_str(const cJSON *obj, const char *key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(m, key);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}

void fuzz_check_why(const char *why, const char *kind)
{
	size_t len = strnlen(why, KSD_WHY_MAX);

	fuzz_assert(len > 0 && len < KSD_WHY_MAX);
	fuzz_assert(!strncmp(why, kind, strlen(kind)));
}

static void check_addr(const struct ksvc_addr *a)
{
	fuzz_assert(a->family == AF_INET || a->family == AF_INET6);
}

static void check_meta(const struct ksd_meta *m)
{
	fuzz_assert(m->name && *m->name);
	fuzz_assert(m->namespace && *m->namespace);
	for (size_t i = 0; i < m->nlabels; i++)
		fuzz_assert(m->labels[i].key && m->labels[i].value);
}

static bool iana_name(const char *s)
{
	size_t len = strlen(s);

	return len >= 1 && len <= 15 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
					       "0123456789-") == len &&
	       strpbrk(s, "abcdefghijklmnopqrstuvwxyz") && s[0] != '-' &&
	       s[len - 1] != '-' && !strstr(s, "--");
}

static bool valid_proto(uint8_t p)
{
	return p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_SCTP;
}

void fuzz_check_service(const struct ksd_service *s)
{
	check_meta(&s->meta);
	fuzz_assert(s->type <= KSD_SVC_EXTERNAL_NAME);
	fuzz_assert(s->ncluster_ips <= 2);
	fuzz_assert(!s->headless || !s->ncluster_ips);
	for (size_t i = 0; i < s->ncluster_ips; i++)
		check_addr(&s->cluster_ips[i]);
	if (s->ncluster_ips == 2)
		fuzz_assert(s->cluster_ips[0].family !=
			    s->cluster_ips[1].family);
	fuzz_assert(s->nip_families <= 2);
	for (size_t i = 0; i < s->nip_families; i++)
		fuzz_assert(s->ip_families[i] == AF_INET ||
			    s->ip_families[i] == AF_INET6);
	for (size_t i = 0; i < s->nports; i++) {
		const struct ksd_svc_port *p = &s->ports[i];

		fuzz_assert(p->name && valid_proto(p->proto) && p->port);
		/* A named targetPort, or a number: never both. */
		if (p->target_port_name)
			fuzz_assert(!p->target_port &&
				    iana_name(p->target_port_name));
		else
			fuzz_assert(p->target_port);
		/* Unique names, set when there are several. */
		if (s->nports > 1)
			fuzz_assert(*p->name);
		for (size_t k = 0; k < i; k++)
			fuzz_assert(strcmp(s->ports[k].name, p->name));
	}
	for (size_t i = 0; i < s->nselector; i++)
		fuzz_assert(s->selector[i].key && s->selector[i].value);
	for (size_t i = 0; i < s->nexternal_ips; i++)
		check_addr(&s->external_ips[i]);
	if (s->affinity == KSD_AFFINITY_CLIENT_IP)
		fuzz_assert(s->affinity_timeout >= 1 &&
			    s->affinity_timeout <= KSD_AFFINITY_TIMEOUT_MAX);
	else
		fuzz_assert(s->affinity == KSD_AFFINITY_NONE &&
			    !s->affinity_timeout);
	fuzz_assert(s->external_policy <= KSD_POLICY_LOCAL &&
		    s->internal_policy <= KSD_POLICY_LOCAL);
	for (size_t i = 0; i < s->nlb_source_ranges; i++) {
		const struct ksvc_cidr *c = &s->lb_source_ranges[i];
		unsigned int bits = c->addr.family == AF_INET ? 32 : 128;

		check_addr(&c->addr);
		fuzz_assert(c->prefixlen <= bits);
		/* Host bits are masked, as kube-proxy does. */
		for (unsigned int b = c->prefixlen; b < bits; b++)
			fuzz_assert(!(c->addr.raw[b / 8] & (0x80 >> (b % 8))));
	}
	fuzz_assert(s->traffic_distribution <= KSD_TD_OTHER);
	for (size_t i = 0; i < s->ningress; i++) {
		if (s->ingress[i].has_ip)
			check_addr(&s->ingress[i].ip);
		fuzz_assert(s->ingress[i].ip_mode <= KSD_IP_MODE_PROXY);
	}
	if (s->lb_ip.family)
		check_addr(&s->lb_ip);
}

void fuzz_check_slice(const struct ksd_slice *sl)
{
	check_meta(&sl->meta);
	fuzz_assert(sl->family == 0 || sl->family == AF_INET ||
		    sl->family == AF_INET6);
	fuzz_assert(sl->service_name == ksd_meta_label(&sl->meta,
					KSD_LABEL_SERVICE_NAME));
	for (size_t i = 0; i < sl->nendpoints; i++) {
		const struct ksd_endpoint *ep = &sl->endpoints[i];

		/* An IP slice's endpoints have addresses of its family;
		 * an FQDN slice's none. */
		fuzz_assert(sl->family ? ep->naddrs >= 1 : !ep->naddrs);
		for (size_t k = 0; k < ep->naddrs; k++)
			fuzz_assert(ep->addrs[k].family == sl->family);
		fuzz_assert(ep->ready >= KSD_COND_UNSET &&
			    ep->ready <= KSD_COND_TRUE);
		fuzz_assert(ep->serving >= KSD_COND_UNSET &&
			    ep->serving <= KSD_COND_TRUE);
		fuzz_assert(ep->terminating >= KSD_COND_UNSET &&
			    ep->terminating <= KSD_COND_TRUE);
		fuzz_assert(ep->has_hints ||
			    (!ep->nhint_zones && !ep->nhint_nodes));
		for (size_t k = 0; k < ep->nhint_zones; k++)
			fuzz_assert(ep->hint_zones[k]);
		for (size_t k = 0; k < ep->nhint_nodes; k++)
			fuzz_assert(ep->hint_nodes[k]);
	}
	for (size_t i = 0; i < sl->nports; i++)
		fuzz_assert(sl->ports[i].name &&
			    valid_proto(sl->ports[i].proto));
}

void fuzz_check_node(const struct ksd_node *n)
{
	check_meta(&n->meta);
	fuzz_assert(n->zone == ksd_meta_label(&n->meta, KSD_LABEL_ZONE));
	for (size_t i = 0; i < n->naddrs; i++) {
		fuzz_assert(n->addrs[i].type);
		check_addr(&n->addrs[i].addr);
	}
}

static int key_cmp(const struct ksd_meta *a, const struct ksd_meta *b)
{
	int c = strcmp(a->namespace, b->namespace);

	return c ? c : strcmp(a->name, b->name);
}

void fuzz_check_store(const struct ksd_store *st)
{
	fuzz_assert(st->nsvcs <= st->svcs_cap &&
		    st->nslices <= st->slices_cap);
	for (size_t i = 0; i < st->nsvcs; i++) {
		fuzz_check_service(st->svcs[i]);
		if (i)
			fuzz_assert(key_cmp(&st->svcs[i - 1]->meta,
					    &st->svcs[i]->meta) < 0);
		fuzz_assert(ksd_store_service(st, st->svcs[i]->meta.namespace,
					      st->svcs[i]->meta.name) ==
			    st->svcs[i]);
	}
	for (size_t i = 0; i < st->nslices; i++) {
		fuzz_check_slice(st->slices[i]);
		if (i)
			fuzz_assert(key_cmp(&st->slices[i - 1]->meta,
					    &st->slices[i]->meta) < 0);
	}
	if (st->node) {
		fuzz_check_node(st->node);
		if (st->node_name)
			fuzz_assert(!strcmp(st->node->meta.name,
					    st->node_name));
	}
}

unsigned int fuzz_decode_put(struct ksd_store *st, const cJSON *obj)
{
	struct ksd_service *svc = (void *)1;
	struct ksd_slice *sl = (void *)1;
	struct ksd_node *node = (void *)1;
	char why[KSD_WHY_MAX];
	unsigned int ok = 0;

	/* A refused object leaves the caller's pointer alone. */
	if (!ksd_decode_service(obj, &svc, why)) {
		fuzz_check_service(svc);
		ksd_store_put_service(st, svc);
		ok |= 1;
	} else {
		fuzz_assert(svc == (void *)1);
		fuzz_check_why(why, "Service");
	}
	if (!ksd_decode_slice(obj, &sl, why)) {
		fuzz_check_slice(sl);
		ksd_store_put_slice(st, sl);
		ok |= 2;
	} else {
		fuzz_assert(sl == (void *)1);
		fuzz_check_why(why, "EndpointSlice");
	}
	if (!ksd_decode_node(obj, &node, why)) {
		fuzz_check_node(node);
		ksd_store_put_node(st, node);
		ok |= 4;
	} else {
		fuzz_assert(node == (void *)1);
		fuzz_check_why(why, "Node");
	}
	return ok;
}
