/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A stand-in for the kernel behind libksvc's socket (ksvc_transport): it
 * keeps a copy of every request and answers with what the test queues.
 * The generic netlink controller is answered here: family FAKE_FAMILY, or
 * -ENOENT when fake.family is 0 (the module is not loaded).
 */
#ifndef FAKE_KERNEL_H
#define FAKE_KERNEL_H

#include <stdbool.h>
#include <linux/netlink.h>
#include <netlink/msg.h>

#include "ksvc.h"

#define FAKE_FAMILY	0x2a

struct fake_buf {
	unsigned char *data;
	size_t len;
};

struct fake {
	int family;			/* what the controller answers, 0: none */
	/* Answers one request to the family by queueing messages; NULL
	 * acks everything. */
	void (*respond)(const struct nlmsghdr *req, void *arg);
	void *arg;
	int opens;			/* times fake_open() was called */
	/* Requests to the family (not the controller's), in order. */
	struct nlmsghdr **sent;
	size_t nsent;
	/* What recv hands out, one buffer per call. */
	struct fake_buf *bufs;
	size_t nbufs, next;
	struct fake_buf open;		/* being filled by fake_queue() */
};

extern struct fake fake;

void fake_reset(void);
/* ksvc_open() on the fake: for tests and ksctl_env.open. */
int fake_open(struct ksvc **ksp, struct ksvc_err *err);

/* Appends a message to the buffer of the next recv; fake_cut() ends that
 * buffer (the kernel packs several messages in one read). */
void fake_queue(const struct nlmsghdr *nlh);
void fake_cut(void);
/* A reply of the family to req (same seq and port), for attributes. */
struct nl_msg *fake_reply(const struct nlmsghdr *req, uint8_t cmd, int flags);
void fake_queue_msg(struct nl_msg *msg);	/* queues and frees */
/* NLMSG_ERROR for req: 0 is an ack; extack may be NULL. */
void fake_ack(const struct nlmsghdr *req, int error, const char *extack);
/* NLMSG_DONE closing a dump of req. */
void fake_done(const struct nlmsghdr *req, int error, const char *extack,
	       bool intr);

/* The genl command of a sent request. */
uint8_t fake_cmd(const struct nlmsghdr *nlh);

#endif /* FAKE_KERNEL_H */
