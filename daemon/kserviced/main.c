// SPDX-License-Identifier: GPL-2.0
/*
 * kserviced: the command line (flags.c), then the daemon (daemon.c) in the
 * foreground, logging to stderr. Exit status: 0 after SIGTERM/SIGINT or a
 * good --cleanup, 1 on a fatal error, 2 on a bad command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "flags.h"
#include "log.h"
#include "apiclient.h"
#include "kubeconfig.h"
#include "manifests.h"

static int cleanup(void)
{
	struct ksd_sync s;
	int ret;

	ksd_sync_init(&s, ksvc_open);
	ret = ksd_sync_cleanup(&s);
	ksd_sync_release(&s);
	if (!ret)
		ksd_info("cleanup: every kernel service deleted");
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct ksd_source *src;
	struct ksd_daemon d;
	struct ksd_opts o;
	int ret;

	ret = ksd_flags_parse(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (o.cleanup)
		return cleanup();
	ksd_conntrack_apply(&o.ct, sysconf(_SC_NPROCESSORS_ONLN), "/proc/sys",
			    "/sys/module/nf_conntrack/parameters");

	if (o.manifests) {
		src = ksd_manifests_source(o.manifests,
					   KSD_MANIFESTS_DEBOUNCE_MS);
	} else {
		char why[KSD_KUBECONFIG_WHY_MAX];
		struct ksd_api_opts ao = { 0 };
		struct ksd_kubeconfig kc;

		/* The service account's folder can be moved, for tests. */
		if (ksd_kubeconfig_resolve(o.kubeconfig, o.master,
					   getenv("KSERVICED_SA_DIR"), &kc,
					   why)) {
			ksd_err("%s", why);
			return 1;
		}
		ao.node_name = o.hostname;
		ao.qps = o.api_qps;
		ao.burst = o.api_burst;
		src = ksd_api_source(&kc, &ao);
	}
	if (!src) {
		ksd_err("out of memory");
		return 1;
	}
	ret = ksd_daemon_init(&d, &o, ksvc_open, src);
	if (!ret)
		ret = ksd_daemon_signals(&d);
	if (!ret)
		ret = ksd_daemon_run(&d);
	else
		ksd_err("cannot start: %s", strerror(-ret));
	ksd_daemon_release(&d);
	return ret ? 1 : 0;
}
