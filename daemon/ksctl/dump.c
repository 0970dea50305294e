// SPDX-License-Identifier: GPL-2.0
/*
 * ksctl dump [NAME]: everything, tab-separated, for scripts and tests (as
 * `wg show all dump`). The format only grows: fields are appended to the
 * end of a line, never moved.
 *
 * No header. Services sorted by name, each followed by its backends in the
 * order of their set. Fields are separated by one tab; a line of each kind:
 *
 *   service NAME PROTO PORT NODE_PORT SCHED FLAGS GENERATION FRONTENDS
 *           BACKEND_COUNT CONNS PACKETS BYTES REJECTS AFFINITY DROPS
 *           SOURCE_RANGES
 *   backend NAME ADDR PORT WEIGHT FLAGS CONNS PACKETS BYTES
 *
 * The first field says which. NAME is the service's (names never hold
 * spaces or tabs). PROTO is tcp, udp or sctp, SCHED random, rr or maglev (either a
 * number when unknown to this ksctl). NODE_PORT is 0 when there is none.
 * Numbers are decimal. FRONTENDS is a comma-separated list of KIND=ADDR,
 * KIND being cluster-ip, external-ip or lb-ip, or "-" when there are none.
 * ADDR is an address as text (IPv6 without brackets). AFFINITY is the
 * ClientIP session affinity timeout in seconds, 0 for none. FLAGS are
 * enum ksvc_svc_flags and enum ksvc_be_flags, in decimal. SOURCE_RANGES
 * is a comma-separated list of CIDRs, "-" for none. For example:
 *
 *   service	default/web:http	tcp	80	30080	random	0	7	cluster-ip=10.96.0.10,external-ip=2001:db8::5	2	3	30	3000	0	0	0	-
 *   backend	default/web:http	10.0.0.1	8080	1	0	3	30	3000
 *   backend	default/web:http	fd00::2	8080	2	0	0	0	0
 */
#include <inttypes.h>

#include "ksctl.h"
#include "ksvc_text.h"

static void print_enum(FILE *f, const char *name, unsigned int v)
{
	if (name)
		fprintf(f, "\t%s", name);
	else
		fprintf(f, "\t%u", v);
}

static void print_frontends(FILE *f, const struct ksvc_service *svc)
{
	char a[KSVC_ADDR_STRLEN];
	const char *kind;
	size_t i;

	fputc('\t', f);
	if (!svc->nfrontends)
		fputc('-', f);
	for (i = 0; i < svc->nfrontends; i++) {
		if (i)
			fputc(',', f);
		kind = ksvc_fe_kind_name(svc->frontends[i].kind);
		if (kind)
			fputs(kind, f);
		else
			fprintf(f, "%u", svc->frontends[i].kind);
		fprintf(f, "=%s", ksvc_format_addr(&svc->frontends[i].addr, a,
						    sizeof(a)));
	}
}

static void print_service(FILE *f, const struct ksvc_service *svc)
{
	char a[KSVC_ADDR_STRLEN], c[KSVC_CIDR_STRLEN];
	size_t i;

	fprintf(f, "service\t%s", svc->name);
	print_enum(f, ksvc_proto_name(svc->proto), svc->proto);
	fprintf(f, "\t%u\t%u", svc->port, svc->node_port);
	print_enum(f, ksvc_sched_name(svc->sched), svc->sched);
	fprintf(f, "\t%u\t%" PRIu64, svc->flags, svc->generation);
	print_frontends(f, svc);
	fprintf(f, "\t%u\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
		"\t%u\t%" PRIu64, svc->backend_count, svc->stats.conns,
		svc->stats.packets, svc->stats.bytes, svc->stats.rejects,
		svc->affinity, svc->stats.drops);
	fputc('\t', f);
	if (!svc->nsource_ranges)
		fputc('-', f);
	for (i = 0; i < svc->nsource_ranges; i++)
		fprintf(f, "%s%s", i ? "," : "",
			ksvc_format_cidr(&svc->source_ranges[i], c, sizeof(c)));
	fputc('\n', f);

	for (i = 0; i < svc->nbackends; i++) {
		const struct ksvc_backend *be = &svc->backends[i];

		fprintf(f, "backend\t%s\t%s\t%u\t%u\t%u\t%" PRIu64 "\t%" PRIu64
			"\t%" PRIu64 "\n", svc->name,
			ksvc_format_addr(&be->addr, a, sizeof(a)), be->port,
			be->weight, be->flags, be->stats.conns,
			be->stats.packets, be->stats.bytes);
	}
}

void dump_services(FILE *f, const struct ksvc_service_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		print_service(f, &list->svcs[i]);
}

static int run_dump(struct ksctl_req *req, struct ksvc *ks)
{
	struct ksvc_service_list list;
	int ret;

	ret = ksctl_list(req, ks, KSVC_LIST_BACKENDS, &list);
	if (ret)
		return ret;
	dump_services(ksctl_env.out, &list);
	ksvc_service_list_release(&list);
	return 0;
}

int dump_parse(int argc, char **argv, struct ksctl_req *req)
{
	int ret = 0;

	req->cmd = "dump";
	req->run = run_dump;
	if (argc > 1)
		ret = ksctl_parse_name(req, argc, argv, 1);
	if (!ret)
		ret = ksctl_no_more(req, argc, argv, 2);
	return ret;
}
