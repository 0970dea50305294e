// SPDX-License-Identifier: GPL-2.0
/*
 * The API source's pure parts: the watch stream cut into events however
 * the chunks fall (watchstream.c), and the API server's configuration
 * from a kubeconfig or in-cluster (kubeconfig.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "kubeconfig.h"
#include "watchstream.h"

/* --- the event stream --- */

static const char stream[] =
	"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\","
	"\"resourceVersion\":\"11\"}}}\n"
	"\r\n"
	"{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"b\\n\","
	"\"resourceVersion\":\"12\"}}}\r\n"
	"\n"
	"{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":"
	"{\"resourceVersion\":\"13\"}}}\n"
	"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410}}\n"
	"{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"ü\"}}}\n";

struct seen {
	char lines[8][256];
	int n;
};

static int collect(const char *line, size_t len, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 8);
	assert_true(len < 256);
	memcpy(s->lines[s->n], line, len);
	s->lines[s->n][len] = 0;
	s->n++;
	return 0;
}

static void check_seen(const struct seen *s)
{
	static const enum ksd_event_type want[] = {
		KSD_EV_ADDED, KSD_EV_MODIFIED, KSD_EV_BOOKMARK, KSD_EV_ERROR,
		KSD_EV_DELETED,
	};

	assert_int_equal(s->n, 5);
	for (int i = 0; i < 5; i++) {
		enum ksd_event_type t;
		const cJSON *obj;
		cJSON *ev;

		assert_int_equal(ksd_event_parse(s->lines[i],
						 strlen(s->lines[i]), &t, &ev,
						 &obj), 0);
		assert_int_equal(t, want[i]);
		if (t == KSD_EV_ERROR)
			assert_int_equal(ksd_status_code(obj), 410);
		cJSON_Delete(ev);
	}
}

/* Two chunks, cut at every byte; then one byte at a time. */
static void stream_test_every_split(void **state)
{
	size_t n = strlen(stream);
	struct ksd_ndjson p;

	(void)state;
	ksd_ndjson_init(&p);
	for (size_t cut = 0; cut <= n; cut++) {
		struct seen s = { .n = 0 };

		assert_int_equal(ksd_ndjson_feed(&p, stream, cut, collect, &s),
				 0);
		assert_int_equal(ksd_ndjson_feed(&p, stream + cut, n - cut,
						 collect, &s), 0);
		check_seen(&s);
	}
	for (size_t a = 0; a <= n; a += 7) {	/* three chunks */
		for (size_t b = a; b <= n; b++) {
			struct seen s = { .n = 0 };

			ksd_ndjson_feed(&p, stream, a, collect, &s);
			ksd_ndjson_feed(&p, stream + a, b - a, collect, &s);
			ksd_ndjson_feed(&p, stream + b, n - b, collect, &s);
			check_seen(&s);
		}
	}
	{
		struct seen s = { .n = 0 };

		for (size_t i = 0; i < n; i++)
			assert_int_equal(ksd_ndjson_feed(&p, stream + i, 1,
							 collect, &s), 0);
		check_seen(&s);
	}
	/* A partial line is kept until reset. */
	{
		struct seen s = { .n = 0 };

		ksd_ndjson_feed(&p, stream, 10, collect, &s);
		ksd_ndjson_reset(&p);
		ksd_ndjson_feed(&p, stream, n, collect, &s);
		check_seen(&s);
	}
	ksd_ndjson_release(&p);
}

static int stop_at_second(const char *line, size_t len, void *arg)
{
	int *n = arg;

	(void)line;
	(void)len;
	return ++*n == 2 ? -ECANCELED : 0;
}

static void stream_test_bad(void **state)
{
	static const char *const bad[] = {
		"not json", "{\"type\":\"ADDED\"}", "{\"type\":\"NOPE\","
		"\"object\":{}}", "{\"type\":1,\"object\":{}}",
		"{\"type\":\"ADDED\",\"object\":[]}", "[]", "{\"type\":\"ADDED\","
		"\"object\":{}", "",
	};
	struct ksd_ndjson p;
	int n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum ksd_event_type t;
		const cJSON *obj;
		cJSON *ev = (cJSON *)1;

		assert_int_equal(ksd_event_parse(bad[i], strlen(bad[i]), &t,
						 &ev, &obj), -EINVAL);
		assert_null(ev);
	}
	/* The callback's error stops the feed. */
	ksd_ndjson_init(&p);
	assert_int_equal(ksd_ndjson_feed(&p, "a\nb\nc\n", 6, stop_at_second,
					 &n), -ECANCELED);
	assert_int_equal(n, 2);
	ksd_ndjson_release(&p);
}

/* watchstream.h: each line is given without its line end, CRLF's \r
 * included, and NUL-terminated right after it (fuzz_watch found the \r
 * left where the NUL should be). */
static int crlf_line(const char *line, size_t len, void *arg)
{
	int *n = arg;

	assert_int_equal(len, 1);
	assert_int_equal(line[0], *n ? 'b' : 'a');
	assert_int_equal(line[len], '\0');
	++*n;
	return 0;
}

static void stream_test_crlf(void **state)
{
	struct ksd_ndjson p;
	int n = 0;

	(void)state;
	ksd_ndjson_init(&p);
	assert_int_equal(ksd_ndjson_feed(&p, "a\r\n\r\nb\r", 7, crlf_line,
					 &n), 0);
	assert_int_equal(ksd_ndjson_feed(&p, "\n", 1, crlf_line, &n), 0);
	assert_int_equal(n, 2);
	ksd_ndjson_release(&p);
}

static int count_lines(const char *line, size_t len, void *arg)
{
	size_t *n = arg;

	(void)line;
	n[0]++;
	n[1] = len;
	return 0;
}

/* A line over the max is skipped to its newline, counted, and the next
 * line goes on; a buffer grown for a long line is given back after it. */
static void stream_test_long_line(void **state)
{
	size_t big = 3 * KSD_NDJSON_KEEP, seen[2] = { 0, 0 };
	char *line = malloc(big + 1);
	struct ksd_ndjson p;

	(void)state;
	assert_non_null(line);
	memset(line, 'x', big);
	line[big] = '\n';
	ksd_ndjson_init(&p);
	assert_int_equal(p.max, KSD_NDJSON_LINE_MAX);
	/* Under the max: emitted whole, then the buffer is let go. */
	assert_int_equal(ksd_ndjson_feed(&p, line, big + 1, count_lines,
					 seen), 0);
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], big);
	assert_true(p.cap <= KSD_NDJSON_KEEP);
	/* Over it, cut in chunks: skipped; the next line is seen. */
	p.max = KSD_NDJSON_KEEP;
	for (size_t i = 0; i < big; i += 1000)
		assert_int_equal(ksd_ndjson_feed(&p, line + i, big - i < 1000 ?
						 big - i : 1000, count_lines,
						 seen), 0);
	assert_int_equal(ksd_ndjson_feed(&p, "\nok\n", 4, count_lines, seen),
			 0);
	assert_int_equal(p.skipped, 1);
	assert_int_equal(seen[0], 2);
	assert_int_equal(seen[1], 2);
	assert_true(p.cap <= KSD_NDJSON_KEEP);
	ksd_ndjson_release(&p);
	free(line);
}

/* --- kubeconfig --- */

#define KC_HEAD "apiVersion: v1\nkind: Config\ncurrent-context: c\n" \
	"contexts:\n- name: c\n  context: {cluster: k, user: u}\n" \
	"- name: other\n  context: {cluster: nope, user: u}\n"

/* "hello" and a PEM-ish blob in base64. */
#define B64_HELLO "aGVsbG8="

static const struct {
	const char *name, *text;
	int ret;
	const char *server, *token, *ca_file, *ca_data, *cert_data,
		   *key_file;
} kc_cases[] = {
	{ "token and CA file", KC_HEAD
	  "clusters:\n- name: k\n  cluster: {server: 'https://10.0.0.1:6443/', "
	  "certificate-authority: ca.pem}\n"
	  "users:\n- name: u\n  user: {token: s3cret}\n",
	  0, "https://10.0.0.1:6443", "s3cret", "cfgdir/ca.pem", NULL, NULL,
	  NULL },
	{ "data and client cert", KC_HEAD
	  "clusters:\n- name: k\n  cluster:\n    server: https://[::1]:6443\n"
	  "    certificate-authority-data: " B64_HELLO "\n"
	  "    certificate-authority: ignored.pem\n"
	  "users:\n- name: u\n  user:\n    client-certificate-data: "
	  B64_HELLO "\n    client-key: /abs/key.pem\n",
	  0, "https://[::1]:6443", NULL, NULL, "hello", "hello",
	  "/abs/key.pem" },
	{ "insecure refused", KC_HEAD
	  "clusters:\n- name: k\n  cluster: {server: 'https://h', "
	  "insecure-skip-tls-verify: true}\nusers: [{name: u, user: {}}]\n",
	  -EINVAL },
	{ "insecure false ok", KC_HEAD
	  "clusters:\n- name: k\n  cluster: {server: 'https://h', "
	  "insecure-skip-tls-verify: false}\nusers: [{name: u, user: {}}]\n",
	  0, "https://h" },
	{ "http refused", KC_HEAD
	  "clusters: [{name: k, cluster: {server: 'http://h'}}]\n", -EINVAL },
	{ "no current context", "clusters: []\n", -EINVAL },
	{ "context missing", "current-context: x\ncontexts: []\n", -EINVAL },
	{ "cluster missing", KC_HEAD "clusters: []\n", -EINVAL },
	{ "user missing", KC_HEAD
	  "clusters: [{name: k, cluster: {server: 'https://h'}}]\n"
	  "users: [{name: v, user: {}}]\n", -EINVAL },
	{ "cert without key", KC_HEAD
	  "clusters: [{name: k, cluster: {server: 'https://h'}}]\n"
	  "users: [{name: u, user: {client-certificate: c.pem}}]\n",
	  -EINVAL },
	{ "bad base64", KC_HEAD
	  "clusters: [{name: k, cluster: {server: 'https://h', "
	  "certificate-authority-data: 'a*b'}}]\n", -EINVAL },
	{ "not YAML", "a: [", -EINVAL },
	{ "not a mapping", "- 1\n", -EINVAL },
};

static void kubeconfig_test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kc_cases) / sizeof(kc_cases[0]); i++) {
		char why[KSD_KUBECONFIG_WHY_MAX] = "";
		struct ksd_kubeconfig kc;
		int ret;

		ret = ksd_kubeconfig_parse(kc_cases[i].text,
					   strlen(kc_cases[i].text),
					   "cfgdir/config", &kc, why);
		if (ret != kc_cases[i].ret)
			fail_msg("%s: %d (%s), want %d", kc_cases[i].name, ret,
				 why, kc_cases[i].ret);
		if (ret) {
			assert_true(*why);
			continue;
		}
#define SAME(a, b) do {							\
	if ((a) || (b)) {						\
		if (!(a) || !(b) || strcmp((a), (b)))			\
			fail_msg("%s: %s: \"%s\", want \"%s\"",		\
				 kc_cases[i].name, #a, (a) ? (a) : "",	\
				 (b) ? (b) : "");			\
	}								\
} while (0)
		SAME(kc.server, kc_cases[i].server);
		SAME(kc.token, kc_cases[i].token);
		SAME(kc.ca.file, kc_cases[i].ca_file);
		SAME(kc.ca.data, kc_cases[i].ca_data);
		SAME(kc.cert.data, kc_cases[i].cert_data);
		SAME(kc.key.file, kc_cases[i].key_file);
		ksd_kubeconfig_release(&kc);
	}
}

/* kubeadm's kube-proxy kubeconfig (kubeconfig.conf of its ConfigMap): the
 * service account's token by tokenFile, absolute or beside the file. */
static void kubeconfig_test_token_file(void **state)
{
	char dir[] = "/tmp/ksd-kc-XXXXXX", tok[64], kcpath[64], text[512];
	char why[KSD_KUBECONFIG_WHY_MAX];
	struct ksd_kubeconfig kc;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(tok, sizeof(tok), "%s/token", dir);
	snprintf(kcpath, sizeof(kcpath), "%s/kubeconfig.conf", dir);
	f = fopen(tok, "w");
	assert_non_null(f);
	fputs("projected\n", f);
	fclose(f);
	snprintf(text, sizeof(text), KC_HEAD
		 "clusters:\n- name: k\n  cluster: {server: 'https://h:6443'}\n"
		 "users:\n- name: u\n  user: {tokenFile: %s}\n", tok);
	assert_int_equal(ksd_kubeconfig_parse(text, strlen(text), kcpath, &kc,
					      why), 0);
	assert_string_equal(kc.token, "projected");
	ksd_kubeconfig_release(&kc);
	/* Relative to the kubeconfig's folder. */
	snprintf(text, sizeof(text), KC_HEAD
		 "clusters:\n- name: k\n  cluster: {server: 'https://h:6443'}\n"
		 "users:\n- name: u\n  user: {tokenFile: token}\n");
	assert_int_equal(ksd_kubeconfig_parse(text, strlen(text), kcpath, &kc,
					      why), 0);
	assert_string_equal(kc.token, "projected");
	ksd_kubeconfig_release(&kc);
	/* Missing: an error naming the file. */
	unlink(tok);
	assert_int_equal(ksd_kubeconfig_parse(text, strlen(text), kcpath, &kc,
					      why), -ENOENT);
	assert_non_null(strstr(why, "/token"));
	rmdir(dir);
}

/* In-cluster: the folder's token (its newline trimmed) and CA, the
 * service's host and port; --master replaces the server. */
static void kubeconfig_test_in_cluster(void **state)
{
	char dir[] = "/tmp/ksd-sa-XXXXXX", path[64], why[KSD_KUBECONFIG_WHY_MAX];
	struct ksd_kubeconfig kc;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	assert_int_equal(ksd_kubeconfig_in_cluster(dir, &kc, why), -ENOENT);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	/* No token file. */
	assert_int_equal(ksd_kubeconfig_in_cluster(dir, &kc, why), -ENOENT);
	snprintf(path, sizeof(path), "%s/token", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("tok\n", f);
	fclose(f);
	assert_int_equal(ksd_kubeconfig_in_cluster(dir, &kc, why), 0);
	assert_string_equal(kc.server, "https://[fd00::1]:443");
	assert_string_equal(kc.token, "tok");
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	assert_string_equal(kc.ca.file, path);
	ksd_kubeconfig_release(&kc);

	assert_int_equal(ksd_kubeconfig_resolve(NULL, "https://m:1", dir, &kc,
						why), 0);
	assert_string_equal(kc.server, "https://m:1");
	assert_string_equal(kc.token, "tok");
	ksd_kubeconfig_release(&kc);
	assert_int_equal(ksd_kubeconfig_resolve(NULL, "http://m:1", dir, &kc,
						why), -EINVAL);
	assert_int_equal(ksd_kubeconfig_resolve("/nonexistent/kc", NULL, dir,
						&kc, why), -ENOENT);
	unsetenv("KUBERNETES_SERVICE_HOST");
	/* --master alone, outside a cluster. */
	assert_int_equal(ksd_kubeconfig_resolve(NULL, "https://m:2", dir, &kc,
						why), 0);
	assert_string_equal(kc.server, "https://m:2");
	assert_null(kc.token);
	ksd_kubeconfig_release(&kc);
	unsetenv("KUBERNETES_SERVICE_PORT");
	unlink(path);
	snprintf(path, sizeof(path), "%s/token", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stream_test_every_split),
		cmocka_unit_test(stream_test_bad),
		cmocka_unit_test(stream_test_crlf),
		cmocka_unit_test(stream_test_long_line),
		cmocka_unit_test(kubeconfig_test_table),
		cmocka_unit_test(kubeconfig_test_token_file),
		cmocka_unit_test(kubeconfig_test_in_cluster),
	};

	return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
