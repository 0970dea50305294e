/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libksvc: the client of kservice.ko's generic netlink family, shared by
 * ksctl and kserviced.
 *
 * One handle is one netlink socket with the family resolved once. Calls are
 * synchronous (send, then read to the ack or the end of the dump) and not
 * thread safe. Every function returns 0 or -errno; the kernel's errno comes
 * back as is (-ENOENT no such service, -EEXIST taken, -EINVAL/-ERANGE bad
 * attribute, -EOPNOTSUPP unknown flag, -EPERM without CAP_NET_ADMIN) and,
 * when err is not NULL, err->msg holds the kernel's extack message, or a
 * message of the library's own, or "" when there is none.
 *
 * -EPROTO, -EIO or -ENOBUFS mean the socket itself failed or lost its place
 * in the exchange: close the handle and open a new one.
 */
#ifndef KSVC_H
#define KSVC_H

#include "ksvc_types.h"

#define KSVC_ERRMSG_MAX		256

struct ksvc_err {
	char msg[KSVC_ERRMSG_MAX];
};

struct ksvc;

/* -EPROTONOSUPPORT: the kernel has no kservice family (module not loaded and
 * not loadable). */
int ksvc_open(struct ksvc **ksp, struct ksvc_err *err);
void ksvc_close(struct ksvc *ks);

/*
 * Creates a service from name, proto, port and the other fields svc->has
 * names. A backend set too large for one message is sent without breaking
 * service: the service is created without frontends and node port, its set
 * sent with ksvc_backend_replace(), then the frontends and node port set;
 * if a step fails the service is deleted again.
 */
int ksvc_service_new(struct ksvc *ks, const struct ksvc_service *svc,
		     struct ksvc_err *err);
/* Changes the fields svc->has names, nothing else. A backend set too large
 * for one message is replaced right after the other fields. */
int ksvc_service_set(struct ksvc *ks, const struct ksvc_service *svc,
		     struct ksvc_err *err);
int ksvc_service_del(struct ksvc *ks, const char *name, struct ksvc_err *err);

enum ksvc_list_flags {
	KSVC_LIST_BACKENDS = 1U << 0,	/* with backends and their counters */
};

/*
 * Dumps every service (name NULL) or one (-ENOENT if there is none) into
 * list, which the caller releases with ksvc_service_list_release(). Split
 * backend sets are put back together; a dump the kernel flags as
 * inconsistent is done again, -EAGAIN after KSVC_DUMP_TRIES of them.
 */
int ksvc_service_list(struct ksvc *ks, const char *name, unsigned int flags,
		      struct ksvc_service_list *list, struct ksvc_err *err);
/* The one service called name, into svc (released by the caller). */
int ksvc_service_get(struct ksvc *ks, const char *name, unsigned int flags,
		     struct ksvc_service *svc, struct ksvc_err *err);

/* Replaces the backend set atomically, in as many messages as it takes. */
int ksvc_backend_replace(struct ksvc *ks, const char *name,
			 const struct ksvc_backend *be, size_t n,
			 struct ksvc_err *err);
int ksvc_backend_add(struct ksvc *ks, const char *name,
		     const struct ksvc_backend *be, struct ksvc_err *err);
int ksvc_backend_del(struct ksvc *ks, const char *name,
		     const struct ksvc_backend *be, struct ksvc_err *err);

/* Deletes every service of the socket's network namespace. */
int ksvc_flush(struct ksvc *ks, struct ksvc_err *err);

/*
 * A batch of changes, for one conntrack cleanup (see kservice.h) instead of
 * one per change: from ksvc_batch_begin() on, every change request the
 * handle sends (ksvc_service_new/_set/_del, ksvc_backend_replace/_add/_del,
 * each message of theirs) carries KSVC_REQ_F_DEFER_CT, and leaves the
 * walk of conntrack's table that a UDP or SCTP change needs for later.
 * ksvc_batch_end() closes the batch and, if a change request was sent in
 * it (one the kernel refused included), sends one KSVC_CMD_CT_CLEANUP,
 * which does the cleanup of all of them before its ack; a batch without
 * one sends nothing. A batch does not nest: begin on an open one keeps it
 * as it is.
 *
 * A change that fails leaves the batch open; ksvc_batch_end() closes it
 * even when the cleanup fails, so its error comes back once and a second
 * end returns 0. A handle closed with a batch open sends nothing: the
 * kernel does the cleanup itself a second after the first deferred change.
 * Flush, configuration and dumps are not changes of a batch (FLUSH does
 * its own cleanup).
 */
void ksvc_batch_begin(struct ksvc *ks);
int ksvc_batch_end(struct ksvc *ks, struct ksvc_err *err);

int ksvc_config_get(struct ksvc *ks, struct ksvc_config *cfg,
		    struct ksvc_err *err);
/* Sets the writable fields cfg->has names. */
int ksvc_config_set(struct ksvc *ks, const struct ksvc_config *cfg,
		    struct ksvc_err *err);

#define KSVC_DUMP_TRIES		8

#endif /* KSVC_H */
