// SPDX-License-Identifier: GPL-2.0
/*
 * ksctl backend replace|add|del
 */
#include <errno.h>
#include <string.h>

#include "ksctl.h"
#include "ksvc_text.h"

static int run_replace(struct ksctl_req *req, struct ksvc *ks)
{
	return ksvc_backend_replace(ks, req->svc.name, req->svc.backends,
				    req->svc.nbackends, &req->kerr);
}

static int run_add(struct ksctl_req *req, struct ksvc *ks)
{
	return ksvc_backend_add(ks, req->svc.name, &req->svc.backends[0],
				&req->kerr);
}

static int run_del(struct ksctl_req *req, struct ksvc *ks)
{
	return ksvc_backend_del(ks, req->svc.name, &req->svc.backends[0],
				&req->kerr);
}

static int add(struct ksctl_req *req, const struct ksvc_backend *be)
{
	struct ksvc_service *svc = &req->svc;
	char ep[KSVC_ENDPOINT_STRLEN];
	size_t i;

	/* Quadratic, but a command line holds a few thousand at most. */
	for (i = 0; i < svc->nbackends; i++)
		if (svc->backends[i].port == be->port &&
		    ksvc_addr_equal(&svc->backends[i].addr, &be->addr))
			return ksctl_usage(req, "duplicate endpoint %s",
					   ksvc_format_endpoint(&be->addr, be->port,
								ep, sizeof(ep)));
	if (ksvc_service_add_backend(svc, be))
		return ksctl_usage(req, "out of memory");
	return 0;
}

/* backend replace NAME [ADDR:PORT[@WEIGHT]]... */
static int parse_replace(struct ksctl_req *req, int argc, char **argv)
{
	struct ksvc_backend be;
	int i, ret;

	for (i = 3; i < argc; i++) {
		ret = ksctl_parse_endpoint(req, argv[i], &be, NULL);
		if (!ret)
			ret = add(req, &be);
		if (ret)
			return ret;
	}
	return 0;
}

/* backend add NAME ADDR:PORT[@WEIGHT] [weight W], backend del NAME ADDR:PORT */
static int parse_one(struct ksctl_req *req, int argc, char **argv, bool del)
{
	struct ksvc_backend be;
	bool has_weight;
	uint32_t w;
	const char *why;
	int ret;

	if (argc < 4)
		return ksctl_usage(req, "missing endpoint (ADDR:PORT or [ADDR]:PORT)");
	ret = ksctl_parse_endpoint(req, argv[3], &be, &has_weight);
	if (ret)
		return ret;
	if (del && has_weight)
		return ksctl_usage(req, "no weight here: a backend is its address and port");
	if (!del && argc > 4 && !strcmp(argv[4], "weight")) {
		if (argc == 5)
			return ksctl_usage(req, "missing value after \"weight\"");
		if (has_weight)
			return ksctl_usage(req, "weight given twice");
		if (ksvc_parse_u32(argv[5], KSVC_WEIGHT_MAX, &w, &why))
			return ksctl_usage(req, "invalid weight \"%s\": %s (0..%d)",
					   argv[5], why, KSVC_WEIGHT_MAX);
		be.weight = w;
		ret = ksctl_no_more(req, argc, argv, 6);
	} else {
		ret = ksctl_no_more(req, argc, argv, 4);
	}
	if (!ret)
		ret = add(req, &be);
	return ret;
}

int backend_parse(int argc, char **argv, struct ksctl_req *req)
{
	int ret;

	req->cmd = "backend";
	if (argc < 2)
		return ksctl_usage(req, "missing subcommand (replace, add, del)");
	if (!strcmp(argv[1], "replace")) {
		req->cmd = "backend replace";
		req->run = run_replace;
	} else if (!strcmp(argv[1], "add")) {
		req->cmd = "backend add";
		req->run = run_add;
	} else if (!strcmp(argv[1], "del")) {
		req->cmd = "backend del";
		req->run = run_del;
	} else {
		return ksctl_usage(req, "unknown subcommand \"%s\" (replace, add, del)",
				   argv[1]);
	}
	ret = ksctl_parse_name(req, argc, argv, 2);
	if (ret)
		return ret;
	if (req->run == run_replace)
		return parse_replace(req, argc, argv);
	return parse_one(req, argc, argv, req->run == run_del);
}
