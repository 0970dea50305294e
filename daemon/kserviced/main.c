// SPDX-License-Identifier: GPL-2.0
/*
 * kserviced: the flags, and the one event loop that ties a source of
 * Services and EndpointSlices to the kernel. Foreground, logs to stderr.
 *
 * Signals: SIGHUP reads the source again and does a full pass; SIGTERM and
 * SIGINT exit and leave the kernel's services in place (--cleanup removes
 * them). Syncs of changes run at most once per --min-sync-period; a full
 * pass runs at start, every --sync-period and after SIGHUP. A pass that
 * failed is tried again with a backoff, up to --sync-period.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include "ksvc.h"
#include "ksvc_text.h"
#include "log.h"
#include "loop.h"
#include "manifests.h"
#include "model.h"
#include "source.h"
#include "sync.h"

#define RETRY_MIN_MS	1000

struct opts {
	const char *manifests;
	uint64_t min_sync_ms;
	uint64_t sync_ms;
	struct ksvc_config cfg;
	bool cleanup;
};

struct daemon {
	struct opts o;
	struct ksd_loop loop;
	struct ksd_store store;
	struct ksd_sync sync;
	struct ksd_source *src;
	int sfd, sync_tfd, full_tfd;
	bool want_changes, want_full;
	bool cfg_done;
	bool synced_once;
	uint64_t last_sync_ms;		/* monotonic, of the last pass */
	uint64_t retry_ms;		/* backoff after a failed pass */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Arms the sync timer: at once, or when --min-sync-period has passed
 * since the last pass. */
static void schedule(struct daemon *d, uint64_t at_least_ms)
{
	uint64_t since = now_ms() - d->last_sync_ms, delay = 0;

	if (d->synced_once && since < d->o.min_sync_ms)
		delay = d->o.min_sync_ms - since;
	if (delay < at_least_ms)
		delay = at_least_ms;
	if (delay)
		ksd_timer_arm(d->sync_tfd, delay);
	else
		ksd_timer_arm_now(d->sync_tfd);
}

static void run_sync(struct daemon *d)
{
	struct ksd_model m;
	bool full;
	int ret;

	if (!d->src->synced)
		return;		/* never program half a state */
	/* The first pass, and the one after a broken socket, is full. */
	full = d->want_full || d->sync.need_full;
	d->want_changes = d->want_full = false;
	ret = 0;
	if (!d->cfg_done) {
		ret = ksd_sync_config(&d->sync, &d->o.cfg);
		d->cfg_done = !ret;
	}
	if (d->sync.ks) {	/* else the kernel is not there: retry */
		ksd_model_init(&m);
		ksd_model_build(&m, &d->store);
		ret = full ? ksd_sync_full(&d->sync, &m) :
			     ksd_sync_changes(&d->sync, &m);
		ksd_model_release(&m);
	}
	d->last_sync_ms = now_ms();
	d->synced_once = true;
	if (ret || !d->cfg_done) {
		/* What failed is retried; a broken handle makes it a full
		 * pass (sync.c), and the configuration is sent again. */
		d->retry_ms = d->retry_ms ? 2 * d->retry_ms : RETRY_MIN_MS;
		if (d->retry_ms > d->o.sync_ms)
			d->retry_ms = d->o.sync_ms;
		if (!d->sync.ks)
			d->cfg_done = false;
		ksd_log(KSD_LOG_V2, "sync: trying again in %llu ms",
			(unsigned long long)d->retry_ms);
		if (full)
			d->want_full = true;
		else
			d->want_changes = true;
		schedule(d, d->retry_ms);
		return;
	}
	d->retry_ms = 0;
	if (full)
		ksd_timer_arm(d->full_tfd, d->o.sync_ms);
}

static void on_sync_timer(int fd, uint32_t events, void *arg)
{
	struct daemon *d = arg;

	(void)events;
	ksd_timer_ack(fd);
	if (d->want_changes || d->want_full)
		run_sync(d);
}

static void on_full_timer(int fd, uint32_t events, void *arg)
{
	struct daemon *d = arg;

	(void)events;
	ksd_timer_ack(fd);
	d->want_full = true;
	schedule(d, 0);
}

static void on_changed(struct ksd_source *src, enum ksd_changed what)
{
	struct daemon *d = src->daemon;

	if (what == KSD_CHANGED_ALL)
		d->want_full = true;
	else
		d->want_changes = true;
	schedule(d, 0);
}

static void on_signal(int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;
	struct daemon *d = arg;

	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			ksd_info("SIGHUP: reloading");
			d->src->ops->reload(d->src);
			d->want_full = true;
			schedule(d, 0);
			break;
		case SIGTERM:
		case SIGINT:
			ksd_info("%s: exiting; the kernel keeps its services",
				 strsignal((int)si.ssi_signo));
			d->loop.stop = true;
			break;
		}
	}
}

/* Go durations as kube-proxy takes them: "0", "1s", "500ms", "1m30s",
 * "1.5s"; units h, m, s, ms, us, ns. */
static int parse_duration(const char *s, uint64_t *ms)
{
	static const struct { const char *unit; double ms; } units[] = {
		{ "ms", 1 }, { "us", 1e-3 }, { "ns", 1e-6 },
		{ "h", 3600e3 }, { "m", 60e3 }, { "s", 1e3 },
	};
	double total = 0;
	char *end;

	if (!strcmp(s, "0")) {
		*ms = 0;
		return 0;
	}
	if (!*s)
		return -EINVAL;
	while (*s) {
		double v;
		size_t i;

		if ((*s < '0' || *s > '9') && *s != '.')
			return -EINVAL;
		v = strtod(s, &end);
		if (end == s)
			return -EINVAL;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strncmp(end, units[i].unit,
				     strlen(units[i].unit)))
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		total += v * units[i].ms;
		s = end + strlen(units[i].unit);
	}
	if (total > 1e12)
		return -ERANGE;
	*ms = (uint64_t)(total + 0.5);
	return 0;
}

static int parse_cidrs(const char *arg, struct ksvc_config *cfg)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	const char *why = NULL;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	cfg->ncluster_cidrs = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (cfg->ncluster_cidrs == KSVC_CIDRS_MAX) {
			fprintf(stderr, "kserviced: --cluster-cidr: more than "
				"%d CIDRs\n", KSVC_CIDRS_MAX);
			ret = -E2BIG;
		} else if (ksvc_parse_cidr(tok, &cfg->cluster_cidrs[
					   cfg->ncluster_cidrs++], &why)) {
			fprintf(stderr, "kserviced: --cluster-cidr: %s: %s\n",
				tok, why);
			ret = -EINVAL;
		}
	}
	free(copy);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: kserviced --manifests DIR [options]\n"
"       kserviced --cleanup\n"
"\n"
"Programs kservice.ko with the Services and EndpointSlices of a source,\n"
"following kube-proxy's rules.\n"
"\n"
"  --manifests DIR          standalone: the manifests of DIR (see\n"
"                           daemon/kserviced/README.md), watched\n"
"  --min-sync-period D      least time between syncs of changes (1s; 0 ok)\n"
"  --sync-period D          time between full passes (30s)\n"
"  --cluster-cidr LIST      the pods' CIDRs, comma-separated: traffic from\n"
"                           elsewhere to a cluster IP is masqueraded\n"
"  --masquerade-all[=BOOL]  masquerade all traffic to services\n"
"  --cleanup                delete every kernel service, then exit\n"
"  -v, --v LEVEL            log verbosity (0; 2 skipped objects; 4 syncs)\n"
"  -h, --help               this text\n"
"      --version\n"
"D is a duration: 0, 500ms, 1s, 2m, 1m30s.\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	enum { O_MANIFESTS = 256, O_MIN_SYNC, O_SYNC, O_CIDR, O_MASQ,
	       O_CLEANUP, O_VERSION };
	static const struct option longs[] = {
		{ "manifests", required_argument, NULL, O_MANIFESTS },
		{ "min-sync-period", required_argument, NULL, O_MIN_SYNC },
		{ "sync-period", required_argument, NULL, O_SYNC },
		{ "cluster-cidr", required_argument, NULL, O_CIDR },
		{ "masquerade-all", optional_argument, NULL, O_MASQ },
		{ "cleanup", no_argument, NULL, O_CLEANUP },
		{ "v", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ 0 }
	};
	uint32_t level;
	int c;

	o->min_sync_ms = 1000;
	o->sync_ms = 30000;
	o->cfg.has = KSVC_CFG_HAS_CLUSTER_CIDRS | KSVC_CFG_HAS_MASQUERADE_ALL;
	while ((c = getopt_long(argc, argv, "v:h", longs, NULL)) != -1) {
		switch (c) {
		case O_MANIFESTS:
			o->manifests = optarg;
			break;
		case O_MIN_SYNC:
		case O_SYNC:
			if (parse_duration(optarg, c == O_SYNC ? &o->sync_ms :
					   &o->min_sync_ms)) {
				fprintf(stderr, "kserviced: --%s: \"%s\" is not "
					"a duration\n", c == O_SYNC ?
					"sync-period" : "min-sync-period",
					optarg);
				return -EINVAL;
			}
			break;
		case O_CIDR:
			if (parse_cidrs(optarg, &o->cfg))
				return -EINVAL;
			break;
		case O_MASQ:
			o->cfg.masquerade_all = true;
			if (optarg && ksvc_parse_bool(optarg,
						      &o->cfg.masquerade_all)) {
				fprintf(stderr, "kserviced: --masquerade-all: "
					"\"%s\" is not a boolean\n", optarg);
				return -EINVAL;
			}
			break;
		case O_CLEANUP:
			o->cleanup = true;
			break;
		case 'v':
			if (ksvc_parse_u32(optarg, 100, &level, NULL)) {
				fprintf(stderr, "kserviced: -v: \"%s\" is not "
					"a level (0..100)\n", optarg);
				return -EINVAL;
			}
			ksd_log_set_verbosity((int)level);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case O_VERSION:
			printf("kserviced %s\n", KSCTL_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kserviced: unexpected argument \"%s\"\n",
			argv[optind]);
		return -EINVAL;
	}
	if (!o->cleanup && !o->manifests) {
		fprintf(stderr, "kserviced: --manifests DIR is required (the "
			"only source so far)\n");
		return -EINVAL;
	}
	if (!o->sync_ms) {
		fprintf(stderr, "kserviced: --sync-period must be > 0\n");
		return -EINVAL;
	}
	return 0;
}

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

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	d->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sfd < 0)
		return -errno;
	return ksd_loop_add(&d->loop, d->sfd, EPOLLIN, on_signal, d);
}

int main(int argc, char **argv)
{
	struct daemon d = { .sfd = -1, .sync_tfd = -1, .full_tfd = -1 };
	int ret, status = 1;

	if (parse_args(argc, argv, &d.o))
		return 2;
	if (d.o.cleanup)
		return cleanup();

	ksd_store_init(&d.store);
	ksd_sync_init(&d.sync, ksvc_open);
	ret = ksd_loop_init(&d.loop);
	if (ret)
		goto err_loop;
	ret = setup_signals(&d);
	if (ret)
		goto err_setup;
	d.sync_tfd = ksd_timer_new();
	d.full_tfd = ksd_timer_new();
	if (d.sync_tfd < 0 || d.full_tfd < 0) {
		ret = d.sync_tfd < 0 ? d.sync_tfd : d.full_tfd;
		goto err_setup;
	}
	ret = ksd_loop_add(&d.loop, d.sync_tfd, EPOLLIN, on_sync_timer, &d);
	if (!ret)
		ret = ksd_loop_add(&d.loop, d.full_tfd, EPOLLIN, on_full_timer,
				   &d);
	if (ret)
		goto err_setup;

	d.src = ksd_manifests_source(d.o.manifests, KSD_MANIFESTS_DEBOUNCE_MS);
	if (!d.src) {
		ret = -ENOMEM;
		goto err_setup;
	}
	d.src->store = &d.store;
	d.src->changed = on_changed;
	d.src->daemon = &d;
	/* The first pass is a full one (sync.c starts with need_full). */
	ret = d.src->ops->start(d.src, &d.loop);
	if (ret)
		goto err_source;
	ksd_info("running: source %s, min-sync-period %llu ms, sync-period "
		 "%llu ms", d.src->ops->name,
		 (unsigned long long)d.o.min_sync_ms,
		 (unsigned long long)d.o.sync_ms);

	while (!d.loop.stop) {
		ret = ksd_loop_run_once(&d.loop, -1);
		if (ret) {
			ksd_err("event loop: %s", strerror(-ret));
			goto err_source;
		}
	}
	status = 0;
err_source:
	if (d.src)
		d.src->ops->stop(d.src);
err_setup:
	if (ret)
		ksd_err("%s", strerror(-ret));
	if (d.sync_tfd >= 0)
		close(d.sync_tfd);
	if (d.full_tfd >= 0)
		close(d.full_tfd);
	if (d.sfd >= 0)
		close(d.sfd);
	ksd_loop_release(&d.loop);
err_loop:
	ksd_sync_release(&d.sync);
	ksd_store_release(&d.store);
	return status;
}
