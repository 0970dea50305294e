// SPDX-License-Identifier: GPL-2.0
/*
 * What people read: aligned columns, services sorted by name. Not a format
 * to parse; scripts have `ksctl dump` and -j.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ksctl.h"
#include "ksvc_text.h"

#define MAX_COLS	8

/* Rows of cells, printed with every column as wide as its widest cell. */
struct table {
	size_t ncols, nrows, cap, col;
	char **cells;
};

static void row(struct table *t)
{
	t->nrows++;
	t->col = 0;
}

static void cell(struct table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void cell(struct table *t, const char *fmt, ...)
{
	size_t idx = (t->nrows - 1) * t->ncols + t->col;
	char **p;
	va_list ap;

	if (t->col == t->ncols)
		return;
	if (idx >= t->cap) {
		p = realloc(t->cells, (idx + 64) * sizeof(*p));
		if (!p) {
			t->col++;	/* printed empty */
			return;
		}
		memset(p + t->cap, 0, (idx + 64 - t->cap) * sizeof(*p));
		t->cells = p;
		t->cap = idx + 64;
	}
	va_start(ap, fmt);
	if (vasprintf(&t->cells[idx], fmt, ap) < 0)
		t->cells[idx] = NULL;
	va_end(ap);
	t->col++;
}

static const char *get(const struct table *t, size_t r, size_t c)
{
	size_t idx = r * t->ncols + c;

	return idx < t->cap && t->cells[idx] ? t->cells[idx] : "";
}

static void print_table(FILE *f, struct table *t, const char *indent)
{
	size_t w[MAX_COLS] = { 0 }, r, c, len;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			len = strlen(get(t, r, c));
			if (len > w[c])
				w[c] = len;
		}
	for (r = 0; r < t->nrows; r++) {
		fputs(indent, f);
		for (c = 0; c < t->ncols; c++) {
			if (c + 1 == t->ncols)
				fprintf(f, "%s\n", get(t, r, c));
			else
				fprintf(f, "%-*s  ", (int)w[c], get(t, r, c));
		}
	}
	for (r = 0; r < t->cap; r++)
		free(t->cells[r]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

static const char *proto(const struct ksvc_service *svc, char *buf, size_t len)
{
	const char *name = ksvc_proto_name(svc->proto);

	if (name)
		return name;
	snprintf(buf, len, "%u", svc->proto);
	return buf;
}

static const char *sched(const struct ksvc_service *svc, char *buf, size_t len)
{
	const char *name = ksvc_sched_name(svc->sched);

	if (name)
		return name;
	snprintf(buf, len, "%u", svc->sched);
	return buf;
}

/* Cluster IPs bare, the other kinds tagged: "10.96.0.10,ext:1.2.3.4". */
static char *frontends(const struct ksvc_service *svc)
{
	char a[KSVC_ADDR_STRLEN], *s = NULL;
	size_t len = 0, i;
	FILE *m = open_memstream(&s, &len);

	if (!m)
		return NULL;
	for (i = 0; i < svc->nfrontends; i++) {
		const struct ksvc_frontend *fe = &svc->frontends[i];

		fprintf(m, "%s%s%s", i ? "," : "",
			fe->kind == KSVC_FE_EXTERNAL_IP ? "ext:" :
			fe->kind == KSVC_FE_LOAD_BALANCER_IP ? "lb:" : "",
			ksvc_format_addr(&fe->addr, a, sizeof(a)));
	}
	if (!svc->nfrontends)
		fputc('-', m);
	fclose(m);
	return s;
}

/* "10.0.0.0/8,fd00::/64". */
static char *ranges(const struct ksvc_service *svc)
{
	char c[KSVC_CIDR_STRLEN], *s = NULL;
	size_t len = 0, i;
	FILE *m = open_memstream(&s, &len);

	if (!m)
		return NULL;
	for (i = 0; i < svc->nsource_ranges; i++)
		fprintf(m, "%s%s", i ? "," : "",
			ksvc_format_cidr(&svc->source_ranges[i], c, sizeof(c)));
	fclose(m);
	return s;
}

void table_services(FILE *f, const struct ksvc_service_list *list)
{
	struct table t = { .ncols = 8 };
	char b1[8], b2[8], *fe;
	size_t i;

	row(&t);
	cell(&t, "NAME");
	cell(&t, "PROTO");
	cell(&t, "PORT");
	cell(&t, "FRONTENDS");
	cell(&t, "NODE-PORT");
	cell(&t, "SCHED");
	cell(&t, "BACKENDS");
	cell(&t, "CONNS");
	for (i = 0; i < list->n; i++) {
		const struct ksvc_service *svc = &list->svcs[i];

		row(&t);
		cell(&t, "%s", svc->name);
		cell(&t, "%s", proto(svc, b1, sizeof(b1)));
		cell(&t, "%u", svc->port);
		fe = frontends(svc);
		cell(&t, "%s", fe ? fe : "?");
		free(fe);
		if (svc->node_port)
			cell(&t, "%u", svc->node_port);
		else
			cell(&t, "-");
		cell(&t, "%s", sched(svc, b2, sizeof(b2)));
		cell(&t, "%u", svc->backend_count);
		cell(&t, "%" PRIu64, svc->stats.conns);
	}
	print_table(f, &t, "");
}

static const char *use_name(uint8_t use)
{
	switch (use) {
	case KSVC_USE_CLUSTER | KSVC_USE_LOCAL:
		return "cluster,local";
	case KSVC_USE_CLUSTER:
		return "cluster";
	case KSVC_USE_LOCAL:
		return "local";
	default:
		return "-";
	}
}

/* NEW-CONNS: the sets that may send it new connections. */
static void backends(FILE *f, const struct ksvc_service *svc)
{
	struct table t = { .ncols = 7 };
	char ep[KSVC_ENDPOINT_STRLEN], fl[64];
	uint8_t *use = calloc(svc->nbackends, 1);
	size_t i;

	if (use)
		ksvc_service_use(svc, use);
	row(&t);
	cell(&t, "ENDPOINT");
	cell(&t, "WEIGHT");
	cell(&t, "FLAGS");
	cell(&t, "NEW-CONNS");
	cell(&t, "CONNS");
	cell(&t, "PACKETS");
	cell(&t, "BYTES");
	for (i = 0; i < svc->nbackends; i++) {
		const struct ksvc_backend *be = &svc->backends[i];

		row(&t);
		cell(&t, "%s", ksvc_format_endpoint(&be->addr, be->port, ep,
						    sizeof(ep)));
		cell(&t, "%u", be->weight);
		cell(&t, "%s", ksvc_format_be_flags(be->flags, fl, sizeof(fl)));
		cell(&t, "%s", use ? use_name(use[i]) : "?");
		cell(&t, "%" PRIu64, be->stats.conns);
		cell(&t, "%" PRIu64, be->stats.packets);
		cell(&t, "%" PRIu64, be->stats.bytes);
	}
	print_table(f, &t, "    ");
	free(use);
}

void table_service(FILE *f, const struct ksvc_service *svc)
{
	struct table t = { .ncols = 2 };
	char b[8], a[KSVC_ADDR_STRLEN];
	const char *kind;
	size_t i;

	fprintf(f, "service: %s\n", svc->name);
	row(&t);
	cell(&t, "proto:");
	cell(&t, "%s", proto(svc, b, sizeof(b)));
	row(&t);
	cell(&t, "port:");
	cell(&t, "%u", svc->port);
	row(&t);
	cell(&t, "node-port:");
	if (svc->node_port)
		cell(&t, "%u", svc->node_port);
	else
		cell(&t, "none");
	row(&t);
	cell(&t, "sched:");
	cell(&t, "%s", sched(svc, b, sizeof(b)));
	row(&t);
	cell(&t, "flags:");
	cell(&t, "0x%x", svc->flags);
	row(&t);
	cell(&t, "external-policy:");
	cell(&t, "%s", svc->flags & KSVC_SVC_F_EXTERNAL_LOCAL ? "local" :
							      "cluster");
	row(&t);
	cell(&t, "internal-policy:");
	cell(&t, "%s", svc->flags & KSVC_SVC_F_INTERNAL_LOCAL ? "local" :
							      "cluster");
	row(&t);
	cell(&t, "source-ranges:");
	if (svc->nsource_ranges) {
		char *rs = ranges(svc);

		cell(&t, "%s", rs ? rs : "?");
		free(rs);
	} else {
		cell(&t, "any");
	}
	row(&t);
	cell(&t, "affinity:");
	if (svc->affinity)
		cell(&t, "client-ip %us", svc->affinity);
	else
		cell(&t, "none");
	row(&t);
	cell(&t, "generation:");
	cell(&t, "%" PRIu64, svc->generation);
	row(&t);
	cell(&t, "conns:");
	cell(&t, "%" PRIu64, svc->stats.conns);
	row(&t);
	cell(&t, "packets:");
	cell(&t, "%" PRIu64, svc->stats.packets);
	row(&t);
	cell(&t, "bytes:");
	cell(&t, "%" PRIu64, svc->stats.bytes);
	row(&t);
	cell(&t, "rejects:");
	cell(&t, "%" PRIu64, svc->stats.rejects);
	row(&t);
	cell(&t, "drops:");
	cell(&t, "%" PRIu64, svc->stats.drops);
	print_table(f, &t, "  ");

	fprintf(f, "  frontends:%s\n", svc->nfrontends ? "" : " none");
	t.ncols = 2;
	for (i = 0; i < svc->nfrontends; i++) {
		kind = ksvc_fe_kind_name(svc->frontends[i].kind);
		row(&t);
		if (kind)
			cell(&t, "%s", kind);
		else
			cell(&t, "%u", svc->frontends[i].kind);
		cell(&t, "%s", ksvc_format_addr(&svc->frontends[i].addr, a,
						 sizeof(a)));
	}
	print_table(f, &t, "    ");

	fprintf(f, "  backends: %u\n", svc->backend_count);
	if (svc->nbackends)
		backends(f, svc);
}

void table_stats(FILE *f, const struct ksvc_service_list *list)
{
	struct table t = { .ncols = 6 };
	char ep[KSVC_ENDPOINT_STRLEN];
	size_t i, j;

	row(&t);
	cell(&t, "SERVICE / BACKEND");
	cell(&t, "CONNS");
	cell(&t, "PACKETS");
	cell(&t, "BYTES");
	cell(&t, "REJECTS");
	cell(&t, "DROPS");
	for (i = 0; i < list->n; i++) {
		const struct ksvc_service *svc = &list->svcs[i];

		row(&t);
		cell(&t, "%s", svc->name);
		cell(&t, "%" PRIu64, svc->stats.conns);
		cell(&t, "%" PRIu64, svc->stats.packets);
		cell(&t, "%" PRIu64, svc->stats.bytes);
		cell(&t, "%" PRIu64, svc->stats.rejects);
		cell(&t, "%" PRIu64, svc->stats.drops);
		for (j = 0; j < svc->nbackends; j++) {
			const struct ksvc_backend *be = &svc->backends[j];

			row(&t);
			cell(&t, "  %s", ksvc_format_endpoint(&be->addr, be->port,
							      ep, sizeof(ep)));
			cell(&t, "%" PRIu64, be->stats.conns);
			cell(&t, "%" PRIu64, be->stats.packets);
			cell(&t, "%" PRIu64, be->stats.bytes);
			cell(&t, "-");
			cell(&t, "-");
		}
	}
	print_table(f, &t, "");
}

void table_config(FILE *f, const struct ksvc_config *cfg)
{
	struct table t = { .ncols = 2 };
	char c[KSVC_CIDR_STRLEN];
	char cidrs[KSVC_CIDRS_MAX * (KSVC_CIDR_STRLEN + 1)] = "";
	char np[KSVC_CIDRS_MAX * (KSVC_CIDR_STRLEN + 1)] = "";
	size_t i, n = 0, m = 0;

	for (i = 0; i < cfg->ncluster_cidrs; i++)
		n += (size_t)snprintf(cidrs + n, sizeof(cidrs) - n, "%s%s",
				      i ? "," : "",
				      ksvc_format_cidr(&cfg->cluster_cidrs[i],
						       c, sizeof(c)));
	for (i = 0; i < cfg->nnodeport_cidrs; i++)
		m += (size_t)snprintf(np + m, sizeof(np) - m, "%s%s",
				      i ? "," : "",
				      ksvc_format_cidr(&cfg->nodeport_cidrs[i],
						       c, sizeof(c)));
	row(&t);
	cell(&t, "cluster-cidr:");
	cell(&t, "%s", n ? cidrs : "none");
	row(&t);
	cell(&t, "masquerade-all:");
	cell(&t, "%s", cfg->masquerade_all ? "on" : "off");
	row(&t);
	cell(&t, "nodeport-localhost:");
	cell(&t, "%s", cfg->nodeport_localhost ? "on" : "off");
	row(&t);
	cell(&t, "nodeport-addresses:");
	cell(&t, "%s", m ? np : "all");
	row(&t);
	cell(&t, "services:");
	cell(&t, "%u", cfg->services);
	row(&t);
	cell(&t, "hooked:");
	cell(&t, "%s", cfg->hooked ? "yes" : "no");
	row(&t);
	cell(&t, "affinity-max:");
	cell(&t, "%u", cfg->affinity_max);
	row(&t);
	cell(&t, "affinity-entries:");
	cell(&t, "%u", cfg->affinity_entries);
	row(&t);
	cell(&t, "memory:");
	cell(&t, "%" PRIu64, cfg->memory);
	row(&t);
	cell(&t, "conns:");
	cell(&t, "%" PRIu64, cfg->stats.conns);
	row(&t);
	cell(&t, "packets:");
	cell(&t, "%" PRIu64, cfg->stats.packets);
	row(&t);
	cell(&t, "bytes:");
	cell(&t, "%" PRIu64, cfg->stats.bytes);
	row(&t);
	cell(&t, "rejects:");
	cell(&t, "%" PRIu64, cfg->stats.rejects);
	row(&t);
	cell(&t, "drops:");
	cell(&t, "%" PRIu64, cfg->stats.drops);
	print_table(f, &t, "");
}
