// SPDX-License-Identifier: GPL-2.0
/*
 * ksctl flush: delete every service of the namespace.
 */
#include "ksctl.h"

static int run_flush(struct ksctl_req *req, struct ksvc *ks)
{
	return ksvc_flush(ks, &req->kerr);
}

int flush_parse(int argc, char **argv, struct ksctl_req *req)
{
	req->cmd = "flush";
	req->run = run_flush;
	return ksctl_no_more(req, argc, argv, 1);
}
