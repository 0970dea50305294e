// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's wiring; see daemon.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include "daemon.h"
#include "log.h"
#include "model.h"

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double mono_s(void)
{
	return (double)ksd_mono_ns() / 1e9;
}

/* Arms the sync timer: at once, or when min_sync_ms has passed since the
 * last pass, and not before at_least_ms. */
static void schedule(struct ksd_daemon *d, uint64_t at_least_ms)
{
	uint64_t since = ksd_mono_ms() - d->last_sync_ms, delay = 0;

	if (d->synced_once && since < d->o.min_sync_ms)
		delay = d->o.min_sync_ms - since;
	if (delay < at_least_ms)
		delay = at_least_ms;
	if (delay)
		ksd_timer_arm(d->sync_tfd, delay);
	else
		ksd_timer_arm_now(d->sync_tfd);
}

/*
 * The load-balancer IPs the kernel's services hold (a daemon before this
 * one gave them) go back to their Services, so that a restart moves none.
 * Once, before the pool's first update; a dump that fails only loses that.
 */
static void seed_lbpool(struct ksd_daemon *d)
{
	struct ksvc_service_list list;
	struct ksvc_err err = { "" };
	size_t i, j;
	int ret;

	d->lbpool_seeded = true;
	ksvc_service_list_init(&list);
	ret = ksvc_service_list(d->sync.ks, NULL, 0, &list, &err);
	if (ret)
		ksd_warn("kernel: dump for --lb-ip-pool failed: %s%s%s; "
			 "load-balancer IPs are assigned afresh",
			 strerror(-ret), *err.msg ? ": " : "", err.msg);
	for (i = 0; !ret && i < list.n; i++)
		for (j = 0; j < list.svcs[i].nfrontends; j++)
			if (list.svcs[i].frontends[j].kind ==
			    KSVC_FE_LOAD_BALANCER_IP)
				ksd_lbpool_seed(&d->lbpool, list.svcs[i].name,
						&list.svcs[i].frontends[j].addr);
	ksvc_service_list_release(&list);
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_conflicts(struct ksd_daemon *d)
{
	for (size_t i = 0; i < d->nconflicts; i++)
		free(d->conflicts[i]);
	free(d->conflicts);
	d->conflicts = NULL;
	d->nconflicts = 0;
}

static bool has_conflict(const struct ksd_daemon *d, const char *line)
{
	return d->nconflicts &&
	       bsearch(&line, d->conflicts, d->nconflicts,
		       sizeof(*d->conflicts), cmp_line);
}

/*
 * Logs each conflict of @m once, when it appears (a pass repeats the
 * standing ones), and one line when they are all gone; takes them over.
 */
static void note_conflicts(struct ksd_daemon *d, struct ksd_model *m)
{
	for (size_t i = 0; i < m->nconflicts; i++)
		if (!has_conflict(d, m->conflicts[i]))
			ksd_warn("conflict: %s", m->conflicts[i]);
	if (d->nconflicts && !m->nconflicts)
		ksd_info("conflicts: none left");
	free_conflicts(d);
	d->conflicts = m->conflicts;
	d->nconflicts = m->nconflicts;
	m->conflicts = NULL;
	m->nconflicts = 0;
	d->metrics.frontend_conflicts = d->nconflicts;
}

static void run_sync(struct ksd_daemon *d)
{
	struct ksd_model m;
	bool full;
	int ret = 0;

	if (!d->src->synced)
		return;		/* never program half a state */
	/* The first pass, and the one after a broken socket, is full. */
	full = d->want_full || d->sync.need_full;
	d->want_changes = d->want_full = false;
	if (!d->cfg_done) {
		ret = ksd_sync_config(&d->sync, &d->o.cfg);
		d->cfg_done = !ret;
	}
	if (d->sync.ks) {	/* else the kernel is not there: retry */
		double t0 = mono_s(), took;

		ksd_model_init(&m);
		m.node_name = d->o.hostname;
		m.zone = ksd_daemon_zone(d);
		if (d->lbpool.ncidrs) {
			if (!d->lbpool_seeded)
				seed_lbpool(d);
			ksd_lbpool_update(&d->lbpool, &d->store);
			m.lbpool = &d->lbpool;
		}
		ksd_model_build(&m, &d->store);
		note_conflicts(d, &m);
		ksd_hcports_update(&d->hcports, &m);
		ret = full ? ksd_sync_full(&d->sync, &m) :
			     ksd_sync_changes(&d->sync, &m);
		ksd_model_release(&m);
		took = mono_s() - t0;
		ksd_histogram_observe(&d->metrics.sync, took);
		if (full)
			ksd_histogram_observe(&d->metrics.sync_full, took);
		d->metrics.service_changes += d->sync.last.created +
					      d->sync.last.updated +
					      d->sync.last.deleted;
		d->metrics.endpoint_changes += d->sync.last.replaced;
	}
	d->passes++;
	d->last_sync_ms = ksd_mono_ms();
	d->synced_once = true;
	if (!ret && d->cfg_done) {
		/* The kernel holds everything observed so far. */
		d->last_updated_ns = real_ns();
		d->last_updated_mono_ns = (int64_t)(ksd_mono_ns() -
						    d->start_mono_ns);
		d->metrics.last_sync_s = (double)d->last_updated_ns / 1e9;
		if (d->queued_ms)
			ksd_histogram_observe(&d->metrics.netprog,
				(double)(d->last_sync_ms - d->queued_ms) / 1e3);
		d->queued_ms = 0;
	}
	if (ret || !d->cfg_done) {
		/* What failed is retried; a broken handle makes the next
		 * pass a full one (sync.c) and the configuration is sent
		 * again on the new socket. */
		d->retry_ms = d->retry_ms ? 2 * d->retry_ms : KSD_RETRY_MIN_MS;
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
	struct ksd_daemon *d = arg;

	(void)events;
	ksd_timer_ack(fd);
	if (d->want_changes || d->want_full)
		run_sync(d);
}

static void on_full_timer(int fd, uint32_t events, void *arg)
{
	struct ksd_daemon *d = arg;

	(void)events;
	ksd_timer_ack(fd);
	d->want_full = true;
	schedule(d, 0);
}

static void on_changed(struct ksd_source *src, enum ksd_changed what)
{
	struct ksd_daemon *d = src->daemon;

	d->metrics.last_queued_s = (double)real_ns() / 1e9;
	if (!d->queued_ms)
		d->queued_ms = ksd_mono_ms() ? ksd_mono_ms() : 1;
	if (what == KSD_CHANGED_ALL)
		d->want_full = true;
	else
		d->want_changes = true;
	schedule(d, 0);
}

static void on_signal(int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;
	struct ksd_daemon *d = arg;

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

int ksd_daemon_signals(struct ksd_daemon *d)
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

/*
 * kube-proxy's health (nothing queued for longer than 2 x --sync-period),
 * and one thing more: the API refusing our credentials for as long means
 * the node's rules are going stale, with nothing queued to say so.
 */
bool ksd_daemon_healthy(const struct ksd_daemon *d)
{
	uint64_t now = ksd_mono_ms(), refused = d->src ? d->src->unauthorized_ms : 0;

	return ksd_health_ok(d->queued_ms, now, 2 * d->o.sync_ms) &&
	       !(refused && now - refused >= 2 * d->o.sync_ms);
}

static bool proxy_healthy(void *arg)
{
	return ksd_daemon_healthy(arg);
}

bool ksd_daemon_node_eligible(const struct ksd_daemon *d)
{
	const struct ksd_node *n = d->store.node;

	if (!n)
		return !d->store.node_gone_ineligible;
	return !(n->deleting || n->to_be_deleted);
}

const char *ksd_daemon_zone(const struct ksd_daemon *d)
{
	return d->store.node ? d->store.node->zone : NULL;
}

/* /healthz and /livez, as kube-proxy's: 200 or 503, the same JSON. */
static int serve_healthz(void *arg, const char *path, unsigned int *status,
			 char **body, size_t *len, const char **ctype)
{
	struct ksd_daemon *d = arg;
	bool eligible = ksd_daemon_node_eligible(d);
	bool livez = !strcmp(path, "/livez"), healthy;
	struct ksd_go_time now = {
		real_ns(), (int64_t)(ksd_mono_ns() - d->start_mono_ns)
	}, last = { d->last_updated_ns, d->last_updated_mono_ns };
	int n;

	if (strcmp(path, "/healthz") && !livez) {
		*status = 404;
		*body = strdup("404 page not found\n");
		return *body ? 0 : -ENOMEM;
	}
	/* As kube-proxy's: /healthz fails on a node being deleted or
	 * tainted for deletion by the autoscaler (so that load balancers
	 * drain it first), /livez does not and leaves nodeEligible out.
	 * Healthy, lastUpdated is now (kube-proxy keeps the meaning of
	 * older releases: the last sync loop); unhealthy, the last pass
	 * that programmed everything. */
	healthy = ksd_daemon_healthy(d) && (eligible || livez);
	*status = healthy ? 200 : 503;
	*body = malloc(KSD_HEALTH_BODY_MAX);
	if (!*body)
		return -ENOMEM;
	n = ksd_health_body(*body, KSD_HEALTH_BODY_MAX,
			    healthy ? &now : &last, &now,
			    livez ? NULL : &eligible);
	*len = (size_t)n;
	*ctype = "application/json";
	return 0;
}

static int serve_metrics(void *arg, const char *path, unsigned int *status,
			 char **body, size_t *len, const char **ctype)
{
	struct ksd_daemon *d = arg;

	(void)len;
	if (strcmp(path, "/metrics")) {
		*status = 404;
		*body = strdup("404 page not found\n");
		return *body ? 0 : -ENOMEM;
	}
	*status = 200;
	*body = ksd_metrics_text(&d->metrics);
	*ctype = "text/plain; version=0.0.4; charset=utf-8";
	return *body ? 0 : -ENOMEM;
}

/* Answers of the zone wait for the source's first full state. */
static bool source_synced(void *arg)
{
	struct ksd_daemon *d = arg;

	return d->src && d->src->synced;
}

/* ns.dns.ZONE's address: the server's, unless it listens on every one. */
static void set_ns_addr(struct ksd_dns *dns, const char *bind)
{
	struct sockaddr_storage ss;
	struct ksvc_addr *a = &dns->ns_addr;

	if (ksd_parse_bind(bind, KSD_DNS_PORT, &ss))
		return;
	memset(a, 0, sizeof(*a));
	a->family = ss.ss_family;
	if (ss.ss_family == AF_INET)
		a->in = ((struct sockaddr_in *)&ss)->sin_addr;
	else
		a->in6 = ((struct sockaddr_in6 *)&ss)->sin6_addr;
	dns->has_ns_addr = ss.ss_family == AF_INET ?
			   a->in.s_addr != INADDR_ANY :
			   !IN6_IS_ADDR_UNSPECIFIED(&a->in6);
}

static int start_dns(struct ksd_daemon *d)
{
	const struct ksd_opts *o = &d->o;
	int ret;

	ret = ksd_dns_init(&d->dns, o->cluster_domain && *o->cluster_domain ?
			   o->cluster_domain : KSD_DNS_DOMAIN_DEFAULT,
			   o->dns_ttl, &d->store);
	if (ret) {
		ksd_err("--cluster-domain: \"%s\" is not a domain name",
			o->cluster_domain);
		return ret;
	}
	d->dns.ready = source_synced;
	d->dns.ready_arg = d;
	set_ns_addr(&d->dns, o->dns_bind);
	ret = ksd_dns_server_start(&d->dns_server, &d->loop, o->dns_bind,
				   &d->dns);
	if (ret)
		return ret;
	d->metrics.dns_responses = d->dns.responses;
	d->metrics.dns_rcode_name = ksd_dns_rcode_name;
	d->metrics.dns_nrcodes = KSD_DNS_RCODES;
	ksd_info("cluster DNS for %s on %s (UDP and TCP port %u)",
		 o->cluster_domain ? o->cluster_domain :
		 KSD_DNS_DOMAIN_DEFAULT, o->dns_bind,
		 ksd_dns_server_port(d->dns_server));
	return 0;
}

int ksd_daemon_init(struct ksd_daemon *d, const struct ksd_opts *o,
		    int (*open)(struct ksvc **ksp, struct ksvc_err *err),
		    struct ksd_source *src)
{
	int ret;

	memset(d, 0, sizeof(*d));
	d->o = *o;
	d->start_mono_ns = ksd_mono_ns();
	d->sfd = d->sync_tfd = d->full_tfd = -1;
	d->src = src;
	ksd_metrics_init(&d->metrics);
	ksd_store_init(&d->store);
	d->store.node_name = d->o.hostname;
	ksd_sync_init(&d->sync, open);
	ksd_lbpool_init(&d->lbpool);
	if (o->nlb_pool) {
		ret = ksd_lbpool_set(&d->lbpool, o->lb_pool, o->nlb_pool);
		if (ret)
			return ret;
	}
	ret = ksd_loop_init(&d->loop);
	if (ret)
		return ret;
	ksd_hcports_init(&d->hcports, &d->loop, o->healthz_bind,
			 o->cfg.nodeport_cidrs, o->cfg.nnodeport_cidrs,
			 proxy_healthy, d);
	d->sync_tfd = ksd_timer_new();
	if (d->sync_tfd < 0)
		return d->sync_tfd;
	d->full_tfd = ksd_timer_new();
	if (d->full_tfd < 0)
		return d->full_tfd;
	ret = ksd_loop_add(&d->loop, d->sync_tfd, EPOLLIN, on_sync_timer, d);
	if (ret)
		return ret;
	ret = ksd_loop_add(&d->loop, d->full_tfd, EPOLLIN, on_full_timer, d);
	if (ret)
		return ret;
	if (o->healthz_bind && *o->healthz_bind) {
		ret = ksd_http_start(&d->healthz, &d->loop, o->healthz_bind,
				     KSD_HEALTHZ_PORT, serve_healthz, d);
		if (ret)
			return ret;
		ksd_info("/healthz and /livez on %s (port %u)",
			 o->healthz_bind, ksd_http_port(d->healthz));
	}
	if (o->metrics_bind && *o->metrics_bind) {
		ret = ksd_http_start(&d->metrics_http, &d->loop,
				     o->metrics_bind, KSD_METRICS_PORT,
				     serve_metrics, d);
		if (ret)
			return ret;
		ksd_info("/metrics on %s (port %u)", o->metrics_bind,
			 ksd_http_port(d->metrics_http));
	}
	if (o->dns_bind && *o->dns_bind) {
		ret = start_dns(d);
		if (ret)
			return ret;
	}
	src->store = &d->store;
	src->changed = on_changed;
	src->daemon = d;
	/* Its first state comes in through on_changed, maybe at once. */
	return src->ops->start(src, &d->loop);
}

int ksd_daemon_run(struct ksd_daemon *d)
{
	int ret = 0;

	ksd_info("running: source %s, min-sync-period %llu ms, sync-period "
		 "%llu ms", d->src->ops->name,
		 (unsigned long long)d->o.min_sync_ms,
		 (unsigned long long)d->o.sync_ms);
	while (!d->loop.stop && !ret)
		ret = ksd_loop_run_once(&d->loop, -1);
	if (ret)
		ksd_err("event loop: %s", strerror(-ret));
	return ret;
}

void ksd_daemon_release(struct ksd_daemon *d)
{
	free_conflicts(d);
	if (d->src)
		d->src->ops->stop(d->src);
	d->src = NULL;
	ksd_http_stop(d->healthz);
	ksd_http_stop(d->metrics_http);
	d->healthz = d->metrics_http = NULL;
	ksd_hcports_release(&d->hcports);
	ksd_dns_server_stop(d->dns_server);
	d->dns_server = NULL;
	ksd_dns_release(&d->dns);
	if (d->sync_tfd >= 0)
		close(d->sync_tfd);
	if (d->full_tfd >= 0)
		close(d->full_tfd);
	if (d->sfd >= 0)
		close(d->sfd);
	d->sfd = d->sync_tfd = d->full_tfd = -1;
	ksd_loop_release(&d->loop);
	ksd_sync_release(&d->sync);
	ksd_store_release(&d->store);
	ksd_lbpool_release(&d->lbpool);
}
