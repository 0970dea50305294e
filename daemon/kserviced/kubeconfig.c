// SPDX-License-Identifier: GPL-2.0
/*
 * API server configuration; see kubeconfig.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "kubeconfig.h"
#include "yamldoc.h"

static int fail(char *why, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *why, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, KSD_KUBECONFIG_WHY_MAX, fmt, ap);
	va_end(ap);
	return err;
}

void ksd_kubeconfig_release(struct ksd_kubeconfig *kc)
{
	struct ksd_pem *p[] = { &kc->ca, &kc->cert, &kc->key };

	free(kc->server);
	free(kc->token_file);
	if (kc->token) {
		memset(kc->token, 0, strlen(kc->token));
		free(kc->token);
	}
	for (size_t i = 0; i < 3; i++) {
		free(p[i]->file);
		if (p[i]->data)
			memset(p[i]->data, 0, p[i]->len);
		free(p[i]->data);
	}
	memset(kc, 0, sizeof(*kc));
}

int ksd_read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "re");
	size_t cap = 4096, n = 0, r;
	char *b;

	if (!f)
		return -errno;
	b = malloc(cap);
	while (b && (r = fread(b + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n + 1 == cap) {
			char *nb = cap < (16U << 20) ? realloc(b, cap * 2) : NULL;

			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (!b)
		return -ENOMEM;
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}

static char *host_port(const char *host, const char *port)
{
	char *s = NULL;
	int n;

	n = strchr(host, ':') ? asprintf(&s, "https://[%s]:%s", host, port) :
				asprintf(&s, "https://%s:%s", host, port);
	return n < 0 ? NULL : s;
}

/* A bearer token from a file (the service account's, a tokenFile:),
 * without the line end it usually has. */
int ksd_read_token(const char *path, char **token, char *why)
{
	size_t len;
	int ret = ksd_read_file(path, token, &len);

	if (ret)
		return fail(why, ret, "%s: %s", path, strerror(-ret));
	while (len && ((*token)[len - 1] == '\n' || (*token)[len - 1] == '\r'))
		(*token)[--len] = 0;
	return 0;
}

int ksd_kubeconfig_in_cluster(const char *dir, struct ksd_kubeconfig *kc,
			      char *why)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	char path[4096];
	int ret;

	memset(kc, 0, sizeof(*kc));
	if (!host || !*host || !port || !*port)
		return fail(why, -ENOENT, "not in a cluster: "
			    "KUBERNETES_SERVICE_HOST and _PORT are not set "
			    "(use --kubeconfig or --master)");
	snprintf(path, sizeof(path), "%s/token", dir);
	ret = ksd_read_token(path, &kc->token, why);
	if (ret)
		return ret;
	kc->token_file = strdup(path);
	if (!kc->token_file) {
		ksd_kubeconfig_release(kc);
		return fail(why, -ENOMEM, "out of memory");
	}
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	kc->ca.file = strdup(path);
	kc->server = host_port(host, port);
	if (!kc->ca.file || !kc->server) {
		ksd_kubeconfig_release(kc);
		return fail(why, -ENOMEM, "out of memory");
	}
	return 0;
}

static const char *str(const cJSON *obj, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(j) && *j->valuestring ? j->valuestring : NULL;
}

/* The entry of list (clusters, users, contexts) named name: its member
 * inner (cluster, user, context). */
static const cJSON *named(const cJSON *doc, const char *list,
			  const char *inner, const char *name)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(doc, list), *e;

	if (!cJSON_IsArray(l))
		return NULL;
	cJSON_ArrayForEach(e, l) {
		const char *n = str(e, "name");

		if (n && !strcmp(n, name)) {
			const cJSON *in = cJSON_GetObjectItemCaseSensitive(e,
									  inner);

			return cJSON_IsObject(in) ? in : NULL;
		}
	}
	return NULL;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Standard base64, whitespace ignored, padding optional. */
static int b64decode(const char *s, char **out, size_t *outlen)
{
	size_t n = strlen(s), o = 0;
	unsigned int acc = 0, bits = 0;
	char *b = malloc(n / 4 * 3 + 4);

	if (!b)
		return -ENOMEM;
	for (; *s; s++) {
		int v;

		if (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
			continue;
		if (*s == '=')
			break;
		v = b64val((unsigned char)*s);
		if (v < 0) {
			free(b);
			return -EINVAL;
		}
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			b[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	for (; *s; s++)
		if (*s != '=' && *s != ' ' && *s != '\n' && *s != '\r') {
			free(b);
			return -EINVAL;
		}
	b[o] = 0;
	*out = b;
	*outlen = o;
	return 0;
}

/* A file named in the kubeconfig: a relative name is against its folder. */
static char *resolve(const char *file, const char *dir)
{
	char *path;

	if (file[0] == '/' || !dir)
		return strdup(file);
	return asprintf(&path, "%s/%s", dir, file) < 0 ? NULL : path;
}

/* key and key-data of obj into pem; relative files against dir. */
static int pem(const cJSON *obj, const char *key, const char *dir,
	       struct ksd_pem *p, char *why)
{
	char data_key[64];
	const char *file = str(obj, key), *data;

	snprintf(data_key, sizeof(data_key), "%s-data", key);
	data = str(obj, data_key);
	if (data) {
		int ret = b64decode(data, &p->data, &p->len);

		if (ret)
			return fail(why, ret, "%s: not base64", data_key);
		return 0;
	}
	if (!file)
		return 0;
	p->file = resolve(file, dir);
	return p->file ? 0 : fail(why, -ENOMEM, "out of memory");
}

int ksd_kubeconfig_parse(const char *text, size_t len, const char *path,
			 struct ksd_kubeconfig *kc, char *why)
{
	char ywhy[KSD_YAML_WHY_MAX], *dir = NULL;
	const cJSON *doc, *ctx, *cluster, *user, *skip;
	const char *cur, *cname, *uname, *server, *token;
	cJSON *docs = NULL;
	int ret;

	memset(kc, 0, sizeof(*kc));
	if (ksd_yaml_parse(text, len, &docs, ywhy))
		return fail(why, -EINVAL, "%s", ywhy);
	doc = cJSON_GetArrayItem(docs, 0);
	ret = -EINVAL;
	if (!cJSON_IsObject(doc)) {
		fail(why, ret, "not a kubeconfig (no mapping)");
		goto out;
	}
	cur = str(doc, "current-context");
	if (!cur) {
		fail(why, ret, "no current-context");
		goto out;
	}
	ctx = named(doc, "contexts", "context", cur);
	if (!ctx) {
		fail(why, ret, "context \"%s\" not found", cur);
		goto out;
	}
	cname = str(ctx, "cluster");
	uname = str(ctx, "user");
	cluster = cname ? named(doc, "clusters", "cluster", cname) : NULL;
	if (!cluster) {
		fail(why, ret, "context \"%s\": cluster \"%s\" not found", cur,
		     cname ? cname : "");
		goto out;
	}
	server = str(cluster, "server");
	if (!server || strncmp(server, "https://", 8)) {
		fail(why, ret, "cluster \"%s\": server must be https://...",
		     cname);
		goto out;
	}
	skip = cJSON_GetObjectItemCaseSensitive(cluster,
						"insecure-skip-tls-verify");
	if (cJSON_IsTrue(skip)) {
		fail(why, ret, "cluster \"%s\": insecure-skip-tls-verify is "
		     "refused: TLS is always verified", cname);
		goto out;
	}
	if (path && strrchr(path, '/'))
		dir = strndup(path, (size_t)(strrchr(path, '/') - path));
	kc->server = strdup(server);
	if (!kc->server) {
		ret = fail(why, -ENOMEM, "out of memory");
		goto out;
	}
	while (strlen(kc->server) > 8 && kc->server[strlen(kc->server) - 1] == '/')
		kc->server[strlen(kc->server) - 1] = 0;
	ret = pem(cluster, "certificate-authority", dir, &kc->ca, why);
	if (ret)
		goto out;
	user = uname ? named(doc, "users", "user", uname) : NULL;
	if (uname && !user) {
		ret = fail(why, -EINVAL, "context \"%s\": user \"%s\" not "
			   "found", cur, uname);
		goto out;
	}
	if (user) {
		token = str(user, "token");
		if (token && !(kc->token = strdup(token))) {
			ret = fail(why, -ENOMEM, "out of memory");
			goto out;
		}
		/* kubeadm's kube-proxy kubeconfig: the service account's
		 * token by file. */
		token = str(user, "tokenFile");
		if (token && !kc->token) {
			char *file = resolve(token, dir);

			ret = file ? ksd_read_token(file, &kc->token, why) :
				     fail(why, -ENOMEM, "out of memory");
			kc->token_file = file;
			if (ret)
				goto out;
		}
		ret = pem(user, "client-certificate", dir, &kc->cert, why);
		if (!ret)
			ret = pem(user, "client-key", dir, &kc->key, why);
		if (ret)
			goto out;
		if (!(kc->cert.file || kc->cert.data) !=
		    !(kc->key.file || kc->key.data)) {
			ret = fail(why, -EINVAL, "user \"%s\": a client "
				   "certificate needs its key and the "
				   "reverse", uname);
			goto out;
		}
	}
	ret = 0;
out:
	free(dir);
	cJSON_Delete(docs);
	if (ret)
		ksd_kubeconfig_release(kc);
	return ret;
}

int ksd_kubeconfig_load(const char *path, struct ksd_kubeconfig *kc,
			char *why)
{
	char *buf, sub[KSD_KUBECONFIG_WHY_MAX];
	size_t len;
	int ret = ksd_read_file(path, &buf, &len);

	memset(kc, 0, sizeof(*kc));
	if (ret)
		return fail(why, ret, "%s: %s", path, strerror(-ret));
	ret = ksd_kubeconfig_parse(buf, len, path, kc, sub);
	free(buf);
	if (ret)
		fail(why, ret, "%s: %s", path, sub);
	return ret;
}

int ksd_kubeconfig_resolve(const char *kubeconfig, const char *master,
			   const char *sa_dir, struct ksd_kubeconfig *kc,
			   char *why)
{
	int ret;

	if (kubeconfig && *kubeconfig)
		ret = ksd_kubeconfig_load(kubeconfig, kc, why);
	else
		ret = ksd_kubeconfig_in_cluster(sa_dir ? sa_dir : KSD_SA_DIR,
						kc, why);
	if (ret && !(master && *master && ret == -ENOENT))
		return ret;
	if (ret) {
		/* --master alone: no credentials, as kube-proxy allows. */
		memset(kc, 0, sizeof(*kc));
	}
	if (master && *master) {
		if (strncmp(master, "https://", 8)) {
			ksd_kubeconfig_release(kc);
			return fail(why, -EINVAL, "--master must be "
				    "https://...: TLS is always used");
		}
		free(kc->server);
		kc->server = strdup(master);
		if (!kc->server) {
			ksd_kubeconfig_release(kc);
			return fail(why, -ENOMEM, "out of memory");
		}
	}
	return 0;
}
