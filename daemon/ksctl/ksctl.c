// SPDX-License-Identifier: GPL-2.0
/*
 * ksctl: the table of objects, the global options, and the boundary where
 * errors become one line on stderr and an exit status.
 */
#include <errno.h>
#include <string.h>

#include "ksctl.h"
#include "ksvc_text.h"

#ifndef KSCTL_VERSION
#define KSCTL_VERSION	"0.0.0"
#endif

struct ksctl_env ksctl_env = {
	.open = ksvc_open,
};

static const char usage[] =
	"Usage: ksctl [-j] OBJECT COMMAND [ARGS]\n"
	"\n"
	"  service add NAME proto tcp|udp|sctp port PORT [cluster-ip ADDR]...\n"
	"              [node-port PORT] [external-ip ADDR]... [lb-ip ADDR]...\n"
	"              [sched random|rr|maglev] [affinity SECONDS|on|off]\n"
	"              [external-policy cluster|local] [internal-policy cluster|local]\n"
	"              [source-ranges CIDR[,CIDR]...|none]\n"
	"  service set NAME KEYWORD VALUE...   only what is given changes; any\n"
	"              frontend keyword replaces all frontends; node-port 0 removes\n"
	"  service del NAME\n"
	"  service list\n"
	"  service show NAME\n"
	"  backend replace NAME [ADDR:PORT[@WEIGHT][,FLAG]...]...   [ADDR]:PORT for\n"
	"              IPv6; no endpoint empties the set\n"
	"  backend add NAME ADDR:PORT[@WEIGHT][,FLAG]... [weight W]\n"
	"  backend del NAME ADDR:PORT\n"
	"  stats [NAME]\n"
	"  flush\n"
	"  config show\n"
	"  config set KEY VALUE...   cluster-cidr CIDR[,CIDR]...|none,\n"
	"              masquerade-all 0|1, nodeport-localhost 0|1,\n"
	"              nodeport-addresses CIDR[,CIDR]...|none,\n"
	"              affinity-max N (most session affinity entries)\n"
	"  dump [NAME]   tab-separated, for scripts\n"
	"  restore   the changing commands above from stdin, one a line, over\n"
	"              one socket; all parsed before any is sent; UDP and SCTP\n"
	"              conntrack cleaned up once, at the end\n"
	"  help, --version\n"
	"\n"
	"  -j, --json   JSON output (service list/show, stats, config show)\n"
	"\n"
	"NAME is a service port, \"namespace/name:port\"; WEIGHT is 0..65535\n"
	"(0 drains, default 1). FLAG: local (on this node), ready, serving,\n"
	"terminating (EndpointSlice conditions; none of these three: ready). New\n"
	"connections go to ready backends, or when none is, to serving and\n"
	"terminating ones. external-policy local: traffic from outside to node\n"
	"ports, external and LB IPs goes to local backends only, unmasqueraded;\n"
	"internal-policy local: cluster IP traffic to local backends only.\n"
	"source-ranges: who may reach the LB IPs (others are dropped).\n"
	"affinity: ClientIP session affinity with that\n"
	"timeout (on: 10800 s, Kubernetes' default; 0 or off: none).\n";

static int run_help(struct ksctl_req *req, struct ksvc *ks)
{
	(void)req;
	(void)ks;
	fputs(usage, ksctl_env.out);
	return 0;
}

static int run_version(struct ksctl_req *req, struct ksvc *ks)
{
	(void)req;
	(void)ks;
	fprintf(ksctl_env.out, "ksctl %s (kservice netlink version %d)\n",
		KSCTL_VERSION, KSVC_GENL_VERSION);
	return 0;
}

static int help_parse(int argc, char **argv, struct ksctl_req *req)
{
	req->cmd = "help";
	req->run = run_help;
	return ksctl_no_more(req, argc, argv, 1);
}

static const struct {
	const char *name;
	int (*parse)(int argc, char **argv, struct ksctl_req *req);
} objects[] = {
	{ "service", service_parse },
	{ "backend", backend_parse },
	{ "stats", stats_parse },
	{ "flush", flush_parse },
	{ "config", config_parse },
	{ "dump", dump_parse },
	{ "restore", restore_parse },
	{ "help", help_parse },
};

void ksctl_req_init(struct ksctl_req *req)
{
	memset(req, 0, sizeof(*req));
	ksvc_service_init(&req->svc);
}

void ksctl_req_release(struct ksctl_req *req)
{
	ksvc_service_release(&req->svc);
	if (req->priv_free)
		req->priv_free(req->priv);
	req->priv = NULL;
	req->priv_free = NULL;
}

int ksctl_parse(int argc, char **argv, struct ksctl_req *req)
{
	const char *opt;
	size_t o;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		opt = argv[i];
		if (!strcmp(opt, "-j") || !strcmp(opt, "--json")) {
			req->json = true;
		} else if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			req->cmd = "help";
			req->run = run_help;
			return 0;
		} else if (!strcmp(opt, "-V") || !strcmp(opt, "--version")) {
			req->cmd = "version";
			req->run = run_version;
			return 0;
		} else {
			return ksctl_usage(req, "unknown option \"%s\" (try \"ksctl help\")",
					   opt);
		}
	}
	if (i == argc)
		return ksctl_usage(req, "missing command (try \"ksctl help\")");
	for (o = 0; o < sizeof(objects) / sizeof(objects[0]); o++)
		if (!strcmp(argv[i], objects[o].name))
			return objects[o].parse(argc - i, argv + i, req);
	return ksctl_usage(req, "unknown command \"%s\" (try \"ksctl help\")",
			   argv[i]);
}

int ksctl_list(struct ksctl_req *req, struct ksvc *ks, unsigned int flags,
	       struct ksvc_service_list *list)
{
	int ret;

	ret = ksvc_service_list(ks, req->has_name ? req->svc.name : NULL,
				flags, list, &req->kerr);
	if (ret)
		return ret;
	if (req->has_name && !list->n) {
		ksvc_service_list_release(list);
		return -ENOENT;
	}
	ksvc_service_list_sort(list);
	return 0;
}

/* One line: what failed, on what, and why, in the kernel's words if any. */
static void report(struct ksctl_req *req, int ret)
{
	const char *why = req->kerr.msg[0] ? req->kerr.msg : NULL;
	FILE *f = ksctl_env.err;
	char *p;

	for (p = req->kerr.msg; *p; p++)
		if ((unsigned char)*p < ' ')
			*p = ' ';

	if (ret == -EPROTONOSUPPORT) {
		fprintf(f, "ksctl: kservice module not loaded (modprobe kservice)\n");
		return;
	}
	fprintf(f, "ksctl: %s", req->cmd);
	if (req->has_name)
		fprintf(f, " %s", req->svc.name);
	if (ret == -ENOENT && req->has_name && !why)
		fprintf(f, ": no such service\n");
	else if (why)
		fprintf(f, ": %s (%s)\n", why, strerror(-ret));
	else if (ret == -EPERM)
		fprintf(f, ": %s (CAP_NET_ADMIN needed)\n", strerror(-ret));
	else
		fprintf(f, ": %s\n", strerror(-ret));
}

static int run(struct ksctl_req *req)
{
	struct ksvc *ks = NULL;
	int ret;

	if (req->run != run_help && req->run != run_version) {
		ret = ksctl_env.open(&ks, &req->kerr);
		if (ret)
			return ret;
	}
	ret = req->run(req, ks);
	ksvc_close(ks);
	return ret;
}

int ksctl_main(int argc, char **argv)
{
	struct ksctl_req req;
	int ret, status = 0;

	ksctl_req_init(&req);
	ret = ksctl_parse(argc, argv, &req);
	if (ret) {
		fprintf(ksctl_env.err, "ksctl: %s\n", req.err);
		status = 2;
		goto out;
	}
	ret = run(&req);
	if (ret) {
		report(&req, ret);
		status = 1;
	}
out:
	fflush(ksctl_env.out);
	ksctl_req_release(&req);
	return status;
}
