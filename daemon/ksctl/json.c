// SPDX-License-Identifier: GPL-2.0
/*
 * ksctl -j: JSON for programs (and the tests in the VM), built with cJSON.
 * The format only grows: keys are added, never renamed or removed.
 *
 * Every key is always present. Integers are exact (64-bit counters are not
 * rounded through a double). Enumerations are names, or the bare number
 * when this ksctl does not know the value. Families are "ipv4" or "ipv6";
 * addresses are plain text, IPv6 without brackets. Services are sorted by
 * name, backends are in the order of their set.
 *
 * ksctl -j service show NAME: one service
 *   {
 *     "name": "default/web:http",
 *     "proto": "tcp",                  tcp | udp | sctp
 *     "port": 80,
 *     "node_port": 30080,              0: none
 *     "sched": "random",               random | rr | maglev
 *     "flags": 0,
 *     "generation": 7,
 *     "external_policy": "cluster",    cluster | local
 *     "internal_policy": "cluster",    cluster | local
 *     "source_ranges": [ "192.0.2.0/24" ],   LB source ranges, []: any
 *     "affinity": 10800,               ClientIP timeout in seconds, 0: none
 *     "frontends": [
 *       { "kind": "cluster-ip", "family": "ipv4", "addr": "10.96.0.10" }
 *     ],                               kind: cluster-ip | external-ip | lb-ip
 *     "backend_count": 1,              the kernel's count
 *     "stats": { "conns": 3, "packets": 30, "bytes": 3000, "rejects": 0,
 *                "drops": 0 },
 *     "backends": [
 *       { "family": "ipv4", "addr": "10.0.0.1", "port": 8080, "weight": 1,
 *         "flags": 0, "local": false, "ready": true, "serving": true,
 *         "terminating": false,        flags by name; ready: none set too
 *         "new_conns_cluster": true,   in the cluster set of its family
 *         "new_conns_local": false,    in the local set of its family
 *         "stats": { "conns": 3, "packets": 30, "bytes": 3000 } }
 *     ]
 *   }
 * ksctl -j service list: an array of those, backends included.
 * ksctl -j stats [NAME]: an array of
 *   { "name": "default/web:http",
 *     "stats": { "conns": 3, "packets": 30, "bytes": 3000, "rejects": 0 },
 *     "backends": [ { "family": "ipv4", "addr": "10.0.0.1", "port": 8080,
 *                     "stats": { "conns": 3, "packets": 30, "bytes": 3000 } } ] }
 * ksctl -j config show:
 *   { "cluster_cidrs": [ "10.0.0.0/8", "fd00::/64" ],
 *     "masquerade_all": false, "nodeport_localhost": true,
 *     "nodeport_addresses": [ "192.0.2.0/24" ],
 *     "services": 2, "hooked": true,
 *     "affinity_max": 131072, "affinity_entries": 3, "memory": 123456,
 *     "stats": { "conns": 3, "packets": 30, "bytes": 3000, "rejects": 0 } }
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <cJSON.h>

#include "ksctl.h"
#include "ksvc_text.h"

/* cJSON's setters return NULL when out of memory; rather than check each,
 * its allocations are watched and the document refused as a whole. */
static bool oom;

static void *watch_malloc(size_t size)
{
	void *p = malloc(size);

	if (!p)
		oom = true;
	return p;
}

static void start(void)
{
	cJSON_Hooks hooks = { .malloc_fn = watch_malloc, .free_fn = free };

	cJSON_InitHooks(&hooks);
	oom = false;
}

/* cJSON numbers are doubles; raw text keeps 64-bit values exact. */
static void add_uint(cJSON *obj, const char *key, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	cJSON_AddRawToObject(obj, key, s);
}

static void add_enum(cJSON *obj, const char *key, const char *name,
		     unsigned int v)
{
	if (name)
		cJSON_AddStringToObject(obj, key, name);
	else
		add_uint(obj, key, v);
}

static void add_addr(cJSON *obj, const struct ksvc_addr *addr)
{
	char a[KSVC_ADDR_STRLEN];

	add_enum(obj, "family", ksvc_family_name(addr->family), addr->family);
	cJSON_AddStringToObject(obj, "addr", ksvc_format_addr(addr, a, sizeof(a)));
}

static void add_stats(cJSON *obj, const struct ksvc_stats *st, bool rejects)
{
	cJSON *s = cJSON_AddObjectToObject(obj, "stats");

	if (!s)
		return;
	add_uint(s, "conns", st->conns);
	add_uint(s, "packets", st->packets);
	add_uint(s, "bytes", st->bytes);
	if (rejects) {
		add_uint(s, "rejects", st->rejects);
		add_uint(s, "drops", st->drops);
	}
}

/* The flags by name, readiness as Kubernetes reads unset conditions. */
static void add_conditions(cJSON *obj, uint32_t flags)
{
	bool ready = (flags & KSVC_BE_F_READY) ||
		     !(flags & (KSVC_BE_F_SERVING | KSVC_BE_F_TERMINATING));

	cJSON_AddBoolToObject(obj, "local", flags & KSVC_BE_F_LOCAL);
	cJSON_AddBoolToObject(obj, "ready", ready);
	cJSON_AddBoolToObject(obj, "serving",
			      ready || (flags & KSVC_BE_F_SERVING));
	cJSON_AddBoolToObject(obj, "terminating",
			      flags & KSVC_BE_F_TERMINATING);
}

static void add_backends(cJSON *obj, const struct ksvc_service *svc,
			 bool full)
{
	cJSON *arr = cJSON_AddArrayToObject(obj, "backends"), *b;
	uint8_t *use = full ? calloc(svc->nbackends ? svc->nbackends : 1, 1) :
			      NULL;
	size_t i;

	if (full && !use) {
		oom = true;
		return;
	}
	if (use)
		ksvc_service_use(svc, use);
	for (i = 0; arr && i < svc->nbackends; i++) {
		const struct ksvc_backend *be = &svc->backends[i];

		b = cJSON_CreateObject();
		if (!b)
			break;
		cJSON_AddItemToArray(arr, b);
		add_addr(b, &be->addr);
		add_uint(b, "port", be->port);
		if (full) {
			add_uint(b, "weight", be->weight);
			add_uint(b, "flags", be->flags);
			add_conditions(b, be->flags);
			cJSON_AddBoolToObject(b, "new_conns_cluster",
					      use[i] & KSVC_USE_CLUSTER);
			cJSON_AddBoolToObject(b, "new_conns_local",
					      use[i] & KSVC_USE_LOCAL);
		}
		add_stats(b, &be->stats, false);
	}
	free(use);
}

static cJSON *service_obj(const struct ksvc_service *svc)
{
	cJSON *obj = cJSON_CreateObject(), *arr, *f;
	size_t i;

	if (!obj)
		return NULL;
	cJSON_AddStringToObject(obj, "name", svc->name);
	add_enum(obj, "proto", ksvc_proto_name(svc->proto), svc->proto);
	add_uint(obj, "port", svc->port);
	add_uint(obj, "node_port", svc->node_port);
	add_enum(obj, "sched", ksvc_sched_name(svc->sched), svc->sched);
	add_uint(obj, "flags", svc->flags);
	add_uint(obj, "generation", svc->generation);
	cJSON_AddStringToObject(obj, "external_policy",
				svc->flags & KSVC_SVC_F_EXTERNAL_LOCAL ?
				"local" : "cluster");
	cJSON_AddStringToObject(obj, "internal_policy",
				svc->flags & KSVC_SVC_F_INTERNAL_LOCAL ?
				"local" : "cluster");
	arr = cJSON_AddArrayToObject(obj, "source_ranges");
	for (i = 0; arr && i < svc->nsource_ranges; i++) {
		char c[KSVC_CIDR_STRLEN];

		cJSON_AddItemToArray(arr, cJSON_CreateString(
			ksvc_format_cidr(&svc->source_ranges[i], c, sizeof(c))));
	}
	add_uint(obj, "affinity", svc->affinity);
	arr = cJSON_AddArrayToObject(obj, "frontends");
	for (i = 0; arr && i < svc->nfrontends; i++) {
		f = cJSON_CreateObject();
		if (!f)
			break;
		cJSON_AddItemToArray(arr, f);
		add_enum(f, "kind", ksvc_fe_kind_name(svc->frontends[i].kind),
			 svc->frontends[i].kind);
		add_addr(f, &svc->frontends[i].addr);
	}
	add_uint(obj, "backend_count", svc->backend_count);
	add_stats(obj, &svc->stats, true);
	add_backends(obj, svc, true);
	return obj;
}

/* Prints and frees root; -ENOMEM if anything could not be allocated. */
static int print(FILE *f, cJSON *root)
{
	char *s = root && !oom ? cJSON_Print(root) : NULL;

	cJSON_Delete(root);
	if (!s || oom) {
		cJSON_free(s);
		return -ENOMEM;
	}
	fprintf(f, "%s\n", s);
	cJSON_free(s);
	return 0;
}

int json_service(FILE *f, const struct ksvc_service *svc)
{
	start();
	return print(f, service_obj(svc));
}

int json_services(FILE *f, const struct ksvc_service_list *list)
{
	cJSON *arr, *obj;
	size_t i;

	start();
	arr = cJSON_CreateArray();
	for (i = 0; arr && i < list->n; i++) {
		obj = service_obj(&list->svcs[i]);
		if (!obj) {
			cJSON_Delete(arr);
			return -ENOMEM;
		}
		cJSON_AddItemToArray(arr, obj);
	}
	return print(f, arr);
}

int json_stats(FILE *f, const struct ksvc_service_list *list)
{
	cJSON *arr, *obj;
	size_t i;

	start();
	arr = cJSON_CreateArray();
	for (i = 0; arr && i < list->n; i++) {
		obj = cJSON_CreateObject();
		if (!obj) {
			cJSON_Delete(arr);
			return -ENOMEM;
		}
		cJSON_AddItemToArray(arr, obj);
		cJSON_AddStringToObject(obj, "name", list->svcs[i].name);
		add_stats(obj, &list->svcs[i].stats, true);
		add_backends(obj, &list->svcs[i], false);
	}
	return print(f, arr);
}

int json_config(FILE *f, const struct ksvc_config *cfg)
{
	char c[KSVC_CIDR_STRLEN];
	cJSON *obj, *arr;
	size_t i;

	start();
	obj = cJSON_CreateObject();
	if (!obj)
		return -ENOMEM;
	arr = cJSON_AddArrayToObject(obj, "cluster_cidrs");
	for (i = 0; arr && i < cfg->ncluster_cidrs; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(
			ksvc_format_cidr(&cfg->cluster_cidrs[i], c, sizeof(c))));
	cJSON_AddBoolToObject(obj, "masquerade_all", cfg->masquerade_all);
	cJSON_AddBoolToObject(obj, "nodeport_localhost", cfg->nodeport_localhost);
	arr = cJSON_AddArrayToObject(obj, "nodeport_addresses");
	for (i = 0; arr && i < cfg->nnodeport_cidrs; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(
			ksvc_format_cidr(&cfg->nodeport_cidrs[i], c, sizeof(c))));
	add_uint(obj, "services", cfg->services);
	cJSON_AddBoolToObject(obj, "hooked", cfg->hooked);
	add_uint(obj, "affinity_max", cfg->affinity_max);
	add_uint(obj, "affinity_entries", cfg->affinity_entries);
	add_uint(obj, "memory", cfg->memory);
	add_stats(obj, &cfg->stats, true);
	return print(f, obj);
}
