// SPDX-License-Identifier: GPL-2.0
/*
 * ksctl restore: many changes from stdin, one command a line in ksctl's own
 * words (without "ksctl"), over one netlink socket. Blank lines and lines
 * starting with '#' are skipped.
 *
 * The whole input is parsed before anything is sent, so a bad line sends
 * nothing. A "service add NAME" line followed at once by "backend replace
 * NAME" becomes one request: the service is created with its backends. The
 * requests are sent in order; the first the kernel refuses stops the run,
 * and the error names its line (what came before it stays done). They are
 * one batch, with one conntrack cleanup at the end (run_restore()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ksctl.h"

#define LINE_MAX_WORDS	4096

/*
 * What one line needs to be run: the parts of its ksctl_req that the run
 * functions read, a fifth of the whole (which also holds the error buffers
 * and a configuration), so that 10,000 lines are not 20 MB to fill and copy.
 */
struct restore_item {
	const char *cmd;
	ksctl_run_fn run;
	bool has_name;
	uint32_t flags_mask;
	struct ksvc_service svc;
	struct ksvc_config *cfg;	/* config set only */
	unsigned long line;
};

struct restore {
	struct restore_item *items;
	size_t n, cap;
	char where[KSCTL_ERR_MAX];	/* "restore: line N: service add" */
};

static void restore_free(void *p)
{
	struct restore *rs = p;
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < rs->n; i++) {
		ksvc_service_release(&rs->items[i].svc);
		free(rs->items[i].cfg);
	}
	free(rs->items);
	free(rs);
}

/* What restore accepts: the commands that change something. */
static bool changes(const struct ksctl_req *r)
{
	static const char *const ok[] = {
		"service add", "service set", "service del", "backend replace",
		"backend add", "backend del", "flush", "config set",
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(r->cmd, ok[i]))
			return true;
	return false;
}

/* "backend replace NAME" right after "service add NAME": fold its set into
 * the add. */
static bool fold(struct restore *rs, struct ksctl_req *r)
{
	struct restore_item *prev;

	if (!rs->n || strcmp(r->cmd, "backend replace"))
		return false;
	prev = &rs->items[rs->n - 1];
	if (strcmp(prev->cmd, "service add") ||
	    prev->svc.has & KSVC_SVC_HAS_BACKENDS ||
	    strcmp(prev->svc.name, r->svc.name))
		return false;
	free(prev->svc.backends);
	prev->svc.backends = r->svc.backends;
	prev->svc.nbackends = r->svc.nbackends;
	prev->svc.backends_cap = r->svc.backends_cap;
	prev->svc.has |= KSVC_SVC_HAS_BACKENDS;
	r->svc.backends = NULL;
	r->svc.nbackends = 0;
	r->svc.backends_cap = 0;
	return true;
}

/* One line into rs: 0, or -EINVAL with req->err saying where and why. */
static int parse_line(struct ksctl_req *req, struct restore *rs, char *line,
		      unsigned long lineno)
{
	struct restore_item *it;
	char **argv;
	struct ksctl_req r;
	int argc = 1, ret = 0;
	char *w, *save;

	argv = malloc((LINE_MAX_WORDS + 1) * sizeof(*argv));
	if (!argv)
		return ksctl_usage(req, "out of memory");
	argv[0] = "ksctl";
	for (w = strtok_r(line, " \t\r\n", &save); w;
	     w = strtok_r(NULL, " \t\r\n", &save)) {
		if (argc == LINE_MAX_WORDS) {
			free(argv);
			return ksctl_usage(req, "line %lu: more than %d words",
					   lineno, LINE_MAX_WORDS - 1);
		}
		argv[argc++] = w;
	}
	argv[argc] = NULL;
	if (argc == 1 || argv[1][0] == '#')
		goto out;
	if (argv[1][0] == '-') {
		ret = ksctl_usage(req, "line %lu: options are not taken here",
				  lineno);
		goto out;
	}

	ksctl_req_init(&r);
	ret = ksctl_parse(argc, argv, &r);
	if (!ret && (!r.run || !changes(&r)))
		ret = ksctl_usage(&r, "not taken by restore (only changes are)");
	if (ret) {
		ksctl_usage(req, "line %lu: %s", lineno, r.err);
		ksctl_req_release(&r);
		goto out;
	}
	if (fold(rs, &r)) {
		ksctl_req_release(&r);
		goto out;
	}
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 256;
		struct restore_item *items;

		items = realloc(rs->items, cap * sizeof(*items));
		if (!items) {
			ksctl_req_release(&r);
			ret = ksctl_usage(req, "out of memory");
			goto out;
		}
		rs->items = items;
		rs->cap = cap;
	}
	it = &rs->items[rs->n];
	memset(it, 0, sizeof(*it));
	if (!strcmp(r.cmd, "config set")) {
		it->cfg = malloc(sizeof(*it->cfg));
		if (!it->cfg) {
			ksctl_req_release(&r);
			ret = ksctl_usage(req, "out of memory");
			goto out;
		}
		*it->cfg = r.cfg;
	}
	/* The service moves, its arrays with it. */
	it->svc = r.svc;
	ksvc_service_init(&r.svc);
	it->cmd = r.cmd;
	it->run = r.run;
	it->has_name = r.has_name;
	it->flags_mask = r.flags_mask;
	it->line = lineno;
	rs->n++;
	ksctl_req_release(&r);
out:
	free(argv);
	return ret;
}

/*
 * The lines run as one batch (ksvc.h): their changes leave the conntrack
 * cleanup of UDP and SCTP to one KSVC_CMD_CT_CLEANUP at the end, sent
 * after a refused line too, for the lines done before it. Only one error
 * is said: the line's, else the cleanup's.
 */
static int run_restore(struct ksctl_req *req, struct ksvc *ks)
{
	struct restore *rs = req->priv;
	struct ksvc_err err;
	size_t i;
	int ret = 0, end;

	ksvc_batch_begin(ks);
	for (i = 0; i < rs->n; i++) {
		struct restore_item *it = &rs->items[i];
		struct ksctl_req r;

		/* The item lends its service to a request for the run. */
		ksctl_req_init(&r);
		ksvc_service_release(&r.svc);
		r.cmd = it->cmd;
		r.run = it->run;
		r.has_name = it->has_name;
		r.flags_mask = it->flags_mask;
		r.svc = it->svc;
		if (it->cfg)
			r.cfg = *it->cfg;
		ret = r.run(&r, ks);
		if (ret) {
			snprintf(rs->where, sizeof(rs->where),
				 "restore: line %lu: %s", it->line, r.cmd);
			req->cmd = rs->where;
			req->kerr = r.kerr;
			req->has_name = r.has_name;
			memcpy(req->svc.name, r.svc.name, sizeof(req->svc.name));
			break;
		}
	}
	end = ksvc_batch_end(ks, &err);
	if (ret || !end)
		return ret;
	req->cmd = "restore: conntrack cleanup";
	req->kerr = err;
	return end;
}

int restore_parse(int argc, char **argv, struct ksctl_req *req)
{
	struct restore *rs;
	unsigned long lineno = 0;
	size_t cap = 0;
	char *line = NULL;
	ssize_t len;
	int ret;

	req->cmd = "restore";
	req->run = run_restore;
	ret = ksctl_no_more(req, argc, argv, 1);
	if (ret)
		return ret;
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return ksctl_usage(req, "out of memory");
	req->priv = rs;
	req->priv_free = restore_free;
	while ((len = getline(&line, &cap, ksctl_env.in)) >= 0) {
		lineno++;
		ret = parse_line(req, rs, line, lineno);
		if (ret)
			break;
	}
	free(line);
	return ret;
}
