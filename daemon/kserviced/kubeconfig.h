/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the API server is and how to authenticate to it: in-cluster (the
 * service account's token and CA, KUBERNETES_SERVICE_HOST/PORT) or a
 * kubeconfig file (its current context). TLS is always verified: a
 * kubeconfig asking for insecure-skip-tls-verify is refused. The token is
 * never logged.
 */
#ifndef KSD_KUBECONFIG_H
#define KSD_KUBECONFIG_H

#include <stddef.h>

#define KSD_SA_DIR	"/var/run/secrets/kubernetes.io/serviceaccount"
#define KSD_KUBECONFIG_WHY_MAX	256

/* A PEM blob or a file: data wins when both are set. */
struct ksd_pem {
	char *file;
	char *data;
	size_t len;
};

struct ksd_kubeconfig {
	char *server;		/* https://host:port, no trailing slash */
	struct ksd_pem ca;	/* none: the system's CAs */
	char *token;		/* NULL: none */
	/* Where the token came from (the service account's, a tokenFile),
	 * read again as it rotates; NULL: given inline. */
	char *token_file;
	struct ksd_pem cert, key;	/* client certificate, both or none */
};

/*
 * In-cluster: dir (KSD_SA_DIR unless testing) holds token and ca.crt;
 * the server is https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT.
 * Returns 0 or -errno with why filled in.
 */
int ksd_kubeconfig_in_cluster(const char *dir, struct ksd_kubeconfig *kc,
			      char *why);
/* A kubeconfig's text (YAML) read from path; relative file names in it
 * are relative to its folder. */
int ksd_kubeconfig_parse(const char *text, size_t len, const char *path,
			 struct ksd_kubeconfig *kc, char *why);
int ksd_kubeconfig_load(const char *path, struct ksd_kubeconfig *kc,
			char *why);
/* The same choice as kube-proxy's: --kubeconfig, else in-cluster; a
 * --master (may be NULL) replaces the server. */
int ksd_kubeconfig_resolve(const char *kubeconfig, const char *master,
			   const char *sa_dir, struct ksd_kubeconfig *kc,
			   char *why);
void ksd_kubeconfig_release(struct ksd_kubeconfig *kc);

/* A whole file (16 MiB at most), NUL-terminated, into a malloc'ed *buf.
 * Returns 0, -errno of the open, or -ENOMEM. */
int ksd_read_file(const char *path, char **buf, size_t *len);

/* A bearer token from a file, without its line end. Returns 0 or -errno
 * with why filled in. */
int ksd_read_token(const char *path, char **token, char *why);

#endif /* KSD_KUBECONFIG_H */
