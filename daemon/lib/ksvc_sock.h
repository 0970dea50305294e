/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside libksvc: the handle and the request/reply exchange, for the
 * commands (ops.c) and for tests, which swap the socket for a fake kernel.
 */
#ifndef KSVC_SOCK_H
#define KSVC_SOCK_H

#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/handlers.h>

#include "ksvc.h"

struct ksvc {
	struct nl_sock *sk;
	int family;			/* generic netlink family id */
	uint32_t version;		/* of the family, as the kernel says */
	bool batch;			/* between ksvc_batch_begin() and _end() */
	unsigned int batch_changes;	/* change requests sent in the batch */
};

/*
 * What libnl sends and receives with (nl_cb_overwrite_send/_recv): a test's
 * stand-in for the kernel. recv returns the number of bytes it put in a
 * malloc()ed *buf, which libnl frees.
 */
struct ksvc_transport {
	int (*send)(struct nl_sock *sk, struct nl_msg *msg);
	int (*recv)(struct nl_sock *sk, struct sockaddr_nl *nla,
		    unsigned char **buf, struct ucred **creds);
};

/* ksvc_open() over t instead of a netlink socket (t NULL: the socket). */
int ksvc_open_transport(struct ksvc **ksp, const struct ksvc_transport *t,
			struct ksvc_err *err);

typedef int (*ksvc_reply_fn)(const struct nlmsghdr *nlh, void *arg);

/*
 * Sends msg (and frees it), then reads to the ack, error or end of dump,
 * giving fn every reply message of type type. Returns the kernel's errno,
 * else the first error of fn, else 0; *intr (if not NULL) tells whether a
 * message of the reply had NLM_F_DUMP_INTR.
 */
int ksvc_transact(struct ksvc *ks, struct nl_msg *msg, int type,
		  ksvc_reply_fn fn, void *arg, bool *intr,
		  struct ksvc_err *err);

/* A libnl error (-NLE_*) as -errno. */
int ksvc_nlerr(int nlerr);

#endif /* KSVC_SOCK_H */
