// SPDX-License-Identifier: GPL-2.0
/*
 * Standalone mode (manifests.c): the tutorial's folder in examples/, the
 * folder convention (clusterIP required, slices by label, overlays, lists,
 * multi-document files, what is ignored), refusals, and the inotify source
 * reloading a folder that changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "ksvc_text.h"
#include "log.h"
#include "loop_util.h"
#include "manifests.h"
#include "model.h"

#ifndef KSD_SRCDIR
#error "KSD_SRCDIR: the top of the source tree"
#endif
#define TUTORIAL KSD_SRCDIR "/examples/tutorial"

static char logbuf[1 << 16];

static void capture(int level, const char *line, void *arg)
{
	size_t len = strlen(logbuf);

	(void)arg;
	snprintf(logbuf + len, sizeof(logbuf) - len, "%s%s\n",
		 level == KSD_LOG_ERR ? "error: " :
		 level == KSD_LOG_WARN ? "warning: " : "", line);
}

struct dir {
	char path[256];
};

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct dir *d = calloc(1, sizeof(*d));

	snprintf(d->path, sizeof(d->path), "%s/ksd-manifests-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d->path))
		return -1;
	logbuf[0] = 0;
	ksd_log_set_sink(capture, NULL);
	ksd_log_set_verbosity(0);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	if (system(cmd))
		return -1;
	free(d);
	ksd_log_set_sink(NULL, NULL);
	return 0;
}

static void put(const struct dir *d, const char *name, const char *text)
{
	char path[512], tmp[520];
	FILE *f;

	/* Written aside and renamed in, as editors and kubectl cp do. */
	snprintf(path, sizeof(path), "%s/%s", d->path, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", d->path, name);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(rename(tmp, path), 0);
}

static void copy_in(const struct dir *d, const char *from)
{
	char path[512], buf[8192];
	const char *name = strrchr(from, '/') + 1;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", TUTORIAL, name);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	put(d, name, buf);
}

/* The model of a store, one kernel service a line (as test_model.c). */
static char *render(const struct ksd_store *st)
{
	char *out = calloc(1, 4096), buf[KSVC_ENDPOINT_STRLEN];
	struct ksd_model m;
	size_t len = 0;

	ksd_model_init(&m);
	ksd_model_build(&m, st);
	for (size_t i = 0; i < m.n; i++) {
		const struct ksvc_service *s = &m.svcs[i].ksvc;

		len += (size_t)sprintf(out + len, "%s %u fe=", s->name, s->port);
		for (size_t f = 0; f < s->nfrontends; f++)
			len += (size_t)sprintf(out + len, "%s%s", f ? "," : "",
					       ksvc_format_addr(
						       &s->frontends[f].addr,
						       buf, sizeof(buf)));
		len += (size_t)sprintf(out + len, " be=");
		for (size_t b = 0; b < s->nbackends; b++)
			len += (size_t)sprintf(out + len, "%s%s", b ? "," : "",
					       ksvc_format_endpoint(
						       &s->backends[b].addr,
						       s->backends[b].port,
						       buf, sizeof(buf)));
		out[len++] = '\n';
	}
	ksd_model_release(&m);
	return out;
}

static void expect_model(const struct ksd_store *st, const char *want)
{
	char *got = render(st);

	if (strcmp(got, want))
		fail_msg("model:\n got: %s\nwant: %s", got, want);
	free(got);
}

/* examples/tutorial: the tutorial's Services as written, their overlays
 * and endpoints, the ingress controller's Service, the cluster's DNS
 * Service; the Ingress is ignored without a word (said at -v 2 only), the
 * ExternalName is kept but programs nothing. */
static void manifests_test_tutorial(void **state)
{
	struct ksd_manifests_stats stats;
	struct ksd_store st;

	(void)state;
	ksd_store_init(&st);
	assert_int_equal(ksd_manifests_load(TUTORIAL, &st, &stats), 0);
	assert_int_equal(stats.files, 15);
	assert_int_equal(stats.services, 6);
	assert_int_equal(stats.slices, 5);
	assert_int_equal(stats.overlays, 4);
	assert_int_equal(stats.skipped, 0);
	expect_model(&st,
		     "default/api-service 80 fe=10.96.0.81 be=10.244.1.21:8080\n"
		     "default/frontend-service 80 fe=10.96.0.82 "
		     "be=10.244.1.31:8080\n"
		     "default/my-app-service 80 fe=10.96.0.80 "
		     "be=10.244.1.11:8080,10.244.1.12:8080\n"
		     "ingress-nginx/ingress-nginx-controller:http 80 "
		     "fe=10.96.0.90 be=10.244.1.41:80\n"
		     "kube-system/kube-dns:dns 53 fe=10.96.0.10 "
		     "be=10.244.1.1:53\n"
		     "kube-system/kube-dns:dns-tcp 53 fe=10.96.0.10 "
		     "be=10.244.1.1:53\n");
	ksd_store_release(&st);
	assert_string_equal(logbuf, "");
}

/* The tutorial's Service alone has no cluster IP: skipped, said so. */
static void manifests_test_no_cluster_ip(void **state)
{
	struct dir *d = *state;
	struct ksd_manifests_stats stats;
	struct ksd_store st;

	copy_in(d, TUTORIAL "/my-app-service.yaml");
	copy_in(d, TUTORIAL "/my-app-service-endpoints.yaml");
	ksd_store_init(&st);
	assert_int_equal(ksd_manifests_load(d->path, &st, &stats), 0);
	assert_int_equal(stats.services, 0);
	assert_int_equal(stats.skipped, 1);
	assert_int_equal(st.nsvcs, 0);
	assert_string_equal(logbuf,
		"warning: manifests: my-app-service.yaml: Service "
		"default/my-app-service: skipped: spec.clusterIP is required in "
		"standalone mode (add it, or an Overlay)\n");
	ksd_store_release(&st);
}

/* Multi-document YAML, JSON, lists and typed lists; other kinds, dot
 * files and other extensions ignored; a bad object skipped alone; a later
 * definition wins. */
static void manifests_test_forms(void **state)
{
	struct dir *d = *state;
	struct ksd_manifests_stats stats;
	struct ksd_store st;

	put(d, "a.yaml",
	    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"
	    "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
	    "spec: {clusterIP: 10.96.0.1, ports: [{name: http, port: 80}]}\n"
	    "---\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	    "metadata: {name: web-1, labels: {kubernetes.io/service-name: web}}\n"
	    "addressType: IPv4\nports: [{name: http, port: 8080}]\n"
	    "endpoints: [{addresses: [10.244.0.1]}]\n");
	put(d, "b.json",
	    "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":["
	    "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":"
	    "{\"name\":\"db\",\"namespace\":\"data\"},\"spec\":{\"clusterIP\":"
	    "\"10.96.0.2\",\"ports\":[{\"port\":5432}]}}]}");
	put(d, "c.yml",
	    "apiVersion: v1\nkind: ServiceList\nitems:\n"
	    "- metadata: {name: dns}\n  spec:\n    clusterIP: 10.96.0.10\n"
	    "    ports: [{name: dns, port: 53, protocol: UDP}]\n");
	put(d, "d.yaml",
	    "apiVersion: v1\nkind: Service\nmetadata: {name: bad}\n"
	    "spec: {clusterIP: 10.96.0.3, ports: [{port: 70000}]}\n---\n"
	    "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	    "metadata: {name: lost}\naddressType: IPv4\n");
	put(d, "e.yaml",
	    "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
	    "spec: {clusterIP: 10.96.0.4, ports: [{name: http, port: 80}]}\n");
	put(d, ".hidden.yaml", "{{{ not even yaml");
	put(d, "notes.txt", "{{{ not read");

	ksd_store_init(&st);
	assert_int_equal(ksd_manifests_load(d->path, &st, &stats), 0);
	assert_int_equal(stats.files, 5);
	assert_int_equal(stats.services, 3);
	assert_int_equal(stats.slices, 2);
	assert_int_equal(stats.skipped, 1);
	expect_model(&st, "data/db 5432 fe=10.96.0.2 be=\n"
		     "default/dns:dns 53 fe=10.96.0.10 be=\n"
		     "default/web:http 80 fe=10.96.0.4 be=10.244.0.1:8080\n");
	assert_string_equal(logbuf,
		"warning: manifests: d.yaml: Service default/bad: "
		"spec.ports[0].port: 70000 is out of range (1..65535)\n"
		"warning: manifests: d.yaml: EndpointSlice default/lost has no "
		"label kubernetes.io/service-name: it serves no Service\n"
		"warning: manifests: e.yaml: Service default/web defined again, "
		"this one wins\n");
	ksd_store_release(&st);
}

/* This node's Node given twice (a List, then a file): kept once, from the
 * later, with the same warning as other objects; stats.nodes stays 0 or
 * 1 as manifests.h says (fuzz_manifests found it counting 2). */
static void manifests_test_node_twice(void **state)
{
	struct dir *d = *state;
	struct ksd_manifests_stats stats;
	struct ksd_store st;

	put(d, "a.json",
	    "{\"kind\":\"List\",\"items\":[{\"kind\":\"Node\",\"metadata\":"
	    "{\"name\":\"node-1\"}},{\"kind\":\"Node\",\"metadata\":"
	    "{\"name\":\"node-2\"}}]}");
	put(d, "b.yaml",
	    "apiVersion: v1\nkind: Node\nmetadata:\n  name: node-1\n"
	    "  labels: {topology.kubernetes.io/zone: zone-b}\n");
	ksd_store_init(&st);
	st.node_name = "node-1";
	assert_int_equal(ksd_manifests_load(d->path, &st, &stats), 0);
	assert_int_equal(stats.nodes, 1);
	assert_non_null(st.node);
	assert_string_equal(st.node->zone, "zone-b");
	assert_string_equal(logbuf,
		"warning: manifests: b.yaml: Node node-1 defined again, this "
		"one wins\n");
	ksd_store_release(&st);
}

/* A name that holds a newline (JSON allows it; only the API server would
 * refuse it) cannot forge a second log line: log.c writes control
 * characters as '?' (fuzz_manifests found the line cut in two). */
static void manifests_test_log_one_line(void **state)
{
	struct dir *d = *state;
	struct ksd_manifests_stats stats;
	struct ksd_store st;

	put(d, "t.json", "{\"kind\":\"Service\",\"metadata\":{\"name\":"
	    "\"x\\nerror: forged\\t\\u007f\"}}");
	ksd_store_init(&st);
	assert_int_equal(ksd_manifests_load(d->path, &st, &stats), 0);
	assert_int_equal(stats.skipped, 1);
	assert_string_equal(logbuf,
		"warning: manifests: t.json: Service default/x?error: forged??: "
		"skipped: spec.clusterIP is required in standalone mode (add "
		"it, or an Overlay)\n");
	ksd_store_release(&st);
}

/* Overlays: merge patches in file order, null removes, a missing target
 * is said. */
static void manifests_test_overlays(void **state)
{
	struct dir *d = *state;
	struct ksd_manifests_stats stats;
	struct ksd_store st;

	put(d, "svc.yaml",
	    "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: "
	    "shop}\nspec:\n  externalIPs: [192.0.2.1]\n  ports: [{port: 80}]\n");
	put(d, "z1.yaml",
	    "apiVersion: kserviced.kservice.io/v1alpha1\nkind: Overlay\n"
	    "target: {kind: Service, namespace: shop, name: web}\n"
	    "patch: {spec: {clusterIP: 10.96.0.1, externalIPs: null}}\n"
	    "---\napiVersion: kserviced.kservice.io/v1alpha1\nkind: Overlay\n"
	    "target: {kind: Service, name: nobody}\npatch: {spec: {}}\n");
	put(d, "z2.yaml",
	    "apiVersion: kserviced.kservice.io/v1alpha1\nkind: Overlay\n"
	    "target: {kind: Service, namespace: shop, name: web}\n"
	    "patch: {spec: {clusterIP: 10.96.0.2, clusterIPs: [10.96.0.2]}}\n"
	    "---\napiVersion: kserviced.kservice.io/v1alpha1\nkind: Overlay\n"
	    "target: {name: web}\npatch: {}\n");
	ksd_store_init(&st);
	assert_int_equal(ksd_manifests_load(d->path, &st, &stats), 0);
	assert_int_equal(stats.overlays, 2);
	expect_model(&st, "shop/web 80 fe=10.96.0.2 be=\n");
	assert_string_equal(logbuf,
		"warning: manifests: z1.yaml: Overlay target Service "
		"default/nobody not found\n"
		"warning: manifests: z2.yaml: Overlay needs target.kind (Service "
		"or EndpointSlice), target.name and an object patch; ignored\n");
	ksd_store_release(&st);
}

/* A file that does not parse abandons the load, naming the place. */
static void manifests_test_syntax_error(void **state)
{
	struct dir *d = *state;
	struct ksd_manifests_stats stats;
	struct ksd_store st;

	copy_in(d, TUTORIAL "/my-app-service.yaml");
	put(d, "broken.yaml", "apiVersion: v1\nkind: Service\n  metadata: x\n");
	ksd_store_init(&st);
	assert_int_equal(ksd_manifests_load(d->path, &st, &stats), -EINVAL);
	assert_int_equal(st.nsvcs, 0);
	assert_non_null(strstr(logbuf, "error: manifests: broken.yaml: line 3 "
				       "column 11: mapping values are not "
				       "allowed in this context"));
	put(d, "broken.yaml", "ok: yes\n");
	put(d, "bad.json", "{\"kind\": \"Service\",}");
	logbuf[0] = 0;
	assert_int_equal(ksd_manifests_load(d->path, &st, &stats), -EINVAL);
	assert_string_equal(logbuf, "error: manifests: bad.json: JSON syntax "
			    "error at byte 19\n");
	ksd_store_release(&st);

	assert_int_equal(ksd_manifests_load("no/such/folder", &st, &stats),
			 -ENOENT);
}

struct watcher {
	int changes;
};

static void on_changed(struct ksd_source *src, enum ksd_changed what)
{
	struct watcher *w = src->daemon;

	assert_int_equal(what, KSD_CHANGED_SOME);
	w->changes++;
}

/* Runs the loop until cond holds (LOOP_PATIENCE_MS at most). */
#define LOOP_UNTIL(loop, cond) do {					\
	uint64_t end_ = now_ms() + LOOP_PATIENCE_MS;			\
	while (!(cond) && now_ms() < end_)				\
		assert_int_equal(ksd_loop_run_once(loop, 10), 0);	\
	if (!(cond))							\
		fail_msg("timed out waiting for %s", #cond);		\
} while (0)

/* Runs the loop until the source reported n changes. */
static void wait_changes(struct ksd_loop *loop, struct watcher *w, int n)
{
	LOOP_UNTIL(loop, w->changes >= n);
	assert_int_equal(w->changes, n);
}

/* The source loads at start, reloads once per burst of changes, and
 * keeps the last good objects when a file breaks. */
static void manifests_test_source(void **state)
{
	struct dir *d = *state;
	struct ksd_source *src;
	struct watcher w = { 0 };
	struct ksd_store st;
	struct ksd_loop loop;

	copy_in(d, TUTORIAL "/my-app-service.yaml");
	copy_in(d, TUTORIAL "/my-app-service.overlay.yaml");
	ksd_store_init(&st);
	assert_int_equal(ksd_loop_init(&loop), 0);
	src = ksd_manifests_source(d->path, 50);
	assert_non_null(src);
	src->store = &st;
	src->changed = on_changed;
	src->daemon = &w;
	assert_int_equal(src->ops->start(src, &loop), 0);
	assert_true(src->synced);
	assert_int_equal(w.changes, 1);
	expect_model(&st, "default/my-app-service 80 fe=10.96.0.80 be=\n");

	/* Three writes in a burst: one reload. */
	copy_in(d, TUTORIAL "/my-app-service-endpoints.yaml");
	put(d, "other.yaml", "apiVersion: v1\nkind: Service\nmetadata: "
	    "{name: other}\nspec: {clusterIP: 10.96.0.81, ports: [{port: 81}]}\n");
	put(d, "third.yaml", "# nothing yet\n");
	wait_changes(&loop, &w, 2);
	for (int i = 0; i < 20; i++)	/* and no second one after */
		assert_int_equal(ksd_loop_run_once(&loop, 10), 0);
	assert_int_equal(w.changes, 2);
	expect_model(&st, "default/my-app-service 80 fe=10.96.0.80 "
		     "be=10.244.1.11:8080,10.244.1.12:8080\n"
		     "default/other 81 fe=10.96.0.81 be=\n");

	/* A broken file: the reload is abandoned, no change reported, the
	 * objects stay. */
	assert_null(strstr(logbuf, "reload abandoned"));
	put(d, "third.yaml", "kind: [\n");
	LOOP_UNTIL(&loop, strstr(logbuf, "reload abandoned"));
	assert_int_equal(w.changes, 2);
	assert_int_equal(st.nsvcs, 2);

	/* Fixed, and a file removed. */
	put(d, "third.yaml", "# fine again\n");
	wait_changes(&loop, &w, 3);
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/other.yaml", d->path);
		assert_int_equal(unlink(path), 0);
	}
	wait_changes(&loop, &w, 4);
	assert_int_equal(st.nsvcs, 1);

	src->ops->stop(src);
	ksd_loop_release(&loop);
	ksd_store_release(&st);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(manifests_test_tutorial),
		T(manifests_test_no_cluster_ip),
		T(manifests_test_forms),
		T(manifests_test_node_twice),
		T(manifests_test_log_one_line),
		T(manifests_test_overlays),
		T(manifests_test_syntax_error),
		T(manifests_test_source),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
