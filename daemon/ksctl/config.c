// SPDX-License-Identifier: GPL-2.0
/*
 * ksctl config show | config set KEY VALUE [KEY VALUE]...
 *
 * Keys: cluster-cidr and nodeport-addresses (comma-separated CIDRs, "" or
 * "none" for none; no node-port CIDRs: node ports on every local address),
 * masquerade-all and nodeport-localhost (0, 1, on, off, true, false),
 * affinity-max (0..2147483647).
 */
#include <errno.h>
#include <string.h>

#include "ksctl.h"
#include "ksvc_text.h"

static int run_show(struct ksctl_req *req, struct ksvc *ks)
{
	struct ksvc_config cfg;
	int ret;

	ret = ksvc_config_get(ks, &cfg, &req->kerr);
	if (ret)
		return ret;
	if (req->json)
		return json_config(ksctl_env.out, &cfg);
	table_config(ksctl_env.out, &cfg);
	return 0;
}

static int run_set(struct ksctl_req *req, struct ksvc *ks)
{
	return ksvc_config_set(ks, &req->cfg, &req->kerr);
}

static int parse_cidrs(struct ksctl_req *req, const char *val)
{
	struct ksvc_config *cfg = &req->cfg;

	return ksctl_parse_cidrs(req, "cluster-cidr", "cluster CIDRs", val,
				 cfg->cluster_cidrs, &cfg->ncluster_cidrs,
				 KSVC_CIDRS_MAX);
}

static int parse_np_cidrs(struct ksctl_req *req, const char *val)
{
	struct ksvc_config *cfg = &req->cfg;

	return ksctl_parse_cidrs(req, "nodeport-addresses", "node-port CIDRs",
				 val, cfg->nodeport_cidrs,
				 &cfg->nnodeport_cidrs, KSVC_CIDRS_MAX);
}

static int parse_bool(struct ksctl_req *req, const char *key, const char *val,
		      bool *out)
{
	if (ksvc_parse_bool(val, out))
		return ksctl_usage(req, "invalid %s \"%s\" (0, 1, on, off, true, false)",
				   key, val);
	return 0;
}

static int parse_set(struct ksctl_req *req, int argc, char **argv)
{
	struct ksvc_config *cfg = &req->cfg;
	const char *key, *val, *why;
	uint32_t bit;
	int i, ret;

	if (argc < 3)
		return ksctl_usage(req, "missing KEY VALUE (cluster-cidr, masquerade-all, nodeport-localhost, nodeport-addresses, affinity-max)");
	for (i = 2; i < argc; i += 2) {
		key = argv[i];
		if (!strcmp(key, "cluster-cidr"))
			bit = KSVC_CFG_HAS_CLUSTER_CIDRS;
		else if (!strcmp(key, "masquerade-all"))
			bit = KSVC_CFG_HAS_MASQUERADE_ALL;
		else if (!strcmp(key, "nodeport-localhost"))
			bit = KSVC_CFG_HAS_NODEPORT_LOCALHOST;
		else if (!strcmp(key, "nodeport-addresses"))
			bit = KSVC_CFG_HAS_NODEPORT_CIDRS;
		else if (!strcmp(key, "affinity-max"))
			bit = KSVC_CFG_HAS_AFFINITY_MAX;
		else
			return ksctl_usage(req, "unknown key \"%s\" (cluster-cidr, masquerade-all, nodeport-localhost, nodeport-addresses, affinity-max)",
					   key);
		if (i + 1 == argc)
			return ksctl_usage(req, "missing value after \"%s\"", key);
		if (cfg->has & bit)
			return ksctl_usage(req, "\"%s\" given twice", key);
		cfg->has |= bit;
		val = argv[i + 1];
		if (bit == KSVC_CFG_HAS_CLUSTER_CIDRS)
			ret = parse_cidrs(req, val);
		else if (bit == KSVC_CFG_HAS_NODEPORT_CIDRS)
			ret = parse_np_cidrs(req, val);
		else if (bit == KSVC_CFG_HAS_MASQUERADE_ALL)
			ret = parse_bool(req, key, val, &cfg->masquerade_all);
		else if (bit == KSVC_CFG_HAS_AFFINITY_MAX)
			ret = ksvc_parse_u32(val, 0x7fffffff, &cfg->affinity_max,
					     &why) ?
			      ksctl_usage(req, "invalid affinity-max \"%s\": %s",
					  val, why) : 0;
		else
			ret = parse_bool(req, key, val, &cfg->nodeport_localhost);
		if (ret)
			return ret;
	}
	return 0;
}

int config_parse(int argc, char **argv, struct ksctl_req *req)
{
	req->cmd = "config";
	if (argc < 2)
		return ksctl_usage(req, "missing subcommand (show, set)");
	if (!strcmp(argv[1], "show")) {
		req->cmd = "config show";
		req->run = run_show;
		return ksctl_no_more(req, argc, argv, 2);
	}
	if (!strcmp(argv[1], "set")) {
		req->cmd = "config set";
		req->run = run_set;
		return parse_set(req, argc, argv);
	}
	return ksctl_usage(req, "unknown subcommand \"%s\" (show, set)", argv[1]);
}
