// SPDX-License-Identifier: GPL-2.0
/*
 * ksctl stats [NAME]: counters per service and per backend.
 */
#include "ksctl.h"

static int run_stats(struct ksctl_req *req, struct ksvc *ks)
{
	struct ksvc_service_list list;
	int ret;

	ret = ksctl_list(req, ks, KSVC_LIST_BACKENDS, &list);
	if (ret)
		return ret;
	if (req->json)
		ret = json_stats(ksctl_env.out, &list);
	else
		table_stats(ksctl_env.out, &list);
	ksvc_service_list_release(&list);
	return ret;
}

int stats_parse(int argc, char **argv, struct ksctl_req *req)
{
	int ret = 0;

	req->cmd = "stats";
	req->run = run_stats;
	if (argc > 1)
		ret = ksctl_parse_name(req, argc, argv, 1);
	if (!ret)
		ret = ksctl_no_more(req, argc, argv, 2);
	return ret;
}
