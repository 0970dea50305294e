/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kservice messages without a socket: building the request of each command
 * as a libnl message, and parsing what the kernel sends back. Kept apart
 * from the I/O so both can be tested without the module.
 *
 * family is the generic netlink family id of kservice. Builders return 0
 * and a new message in *msgp, or -EINVAL/-ENAMETOOLONG for a bad name,
 * -EAFNOSUPPORT for an address of an unknown family, -EMSGSIZE when the
 * request does not fit one message, -ENOMEM. Parsers return 0, -EPROTO for a
 * malformed message or -ENOMEM.
 *
 * The builders of changes (SVC_NEW, SVC_SET, SVC_DEL, BE_REPLACE, BE_ADD,
 * BE_DEL) take req_flags, KSVC_REQ_F_DEFER_CT or 0, sent in
 * KSVC_A_REQ_FLAGS with any flags of their own (BE_REPLACE's parts).
 */
#ifndef KSVC_MSG_H
#define KSVC_MSG_H

#include <linux/netlink.h>
#include <netlink/msg.h>
#include "ksvc_types.h"

/*
 * Bytes of backends per message. A nested attribute holds at most 64 KiB;
 * half of that leaves room for growth of the members and keeps each message
 * one small allocation on both sides (~900 IPv4 or ~680 IPv6 backends).
 */
#define KSVC_BE_BUDGET		32768
/* Room for everything a message may hold besides its backends. */
#define KSVC_MSG_SIZE		(KSVC_BE_BUDGET + 16384)

int ksvc_msg_svc_new(int family, const struct ksvc_service *svc,
		     uint32_t req_flags, struct nl_msg **msgp);
int ksvc_msg_svc_set(int family, const struct ksvc_service *svc,
		     uint32_t req_flags, struct nl_msg **msgp);
int ksvc_msg_svc_del(int family, const char *name, uint32_t req_flags,
		     struct nl_msg **msgp);
/* A dump request; name may be NULL for every service. */
int ksvc_msg_svc_get(int family, const char *name, uint32_t req_flags,
		     struct nl_msg **msgp);
/*
 * One part of a BE_REPLACE: the backends from be[*pos] on that fit one
 * message, with KSVC_REQ_F_CONTINUE unless *pos is 0 and KSVC_REQ_F_MORE
 * unless they run to the end; *pos is moved past them. Call until *pos == n
 * (an empty set is one message with an empty nest).
 */
int ksvc_msg_be_replace(int family, const char *name,
			const struct ksvc_backend *be, size_t n, size_t *pos,
			uint32_t req_flags, struct nl_msg **msgp);
/* BE_ADD or BE_DEL of one backend. */
int ksvc_msg_be_one(int family, uint8_t cmd, const char *name,
		    const struct ksvc_backend *be, uint32_t req_flags,
		    struct nl_msg **msgp);
int ksvc_msg_flush(int family, struct nl_msg **msgp);
/* The conntrack cleanup the changes with KSVC_REQ_F_DEFER_CT left. */
int ksvc_msg_ct_cleanup(int family, struct nl_msg **msgp);
int ksvc_msg_cfg_get(int family, struct nl_msg **msgp);
int ksvc_msg_cfg_set(int family, const struct ksvc_config *cfg,
		     struct nl_msg **msgp);
/* The generic netlink controller's CTRL_CMD_GETFAMILY for name. */
int ksvc_msg_ctrl_getfamily(const char *name, struct nl_msg **msgp);

/* One SVC_GET dump message into svc (initialised by the caller). */
int ksvc_parse_service(const struct nlmsghdr *nlh, struct ksvc_service *svc);
/* Adds one dump message to list: a new service, or the backends of a
 * continuation of the last one (same name). */
int ksvc_dump_add(struct ksvc_service_list *list, const struct nlmsghdr *nlh);
int ksvc_parse_config(const struct nlmsghdr *nlh, struct ksvc_config *cfg);
/* The controller's reply to CTRL_CMD_GETFAMILY. */
int ksvc_parse_ctrl_family(const struct nlmsghdr *nlh, const char *name,
			   uint16_t *id, uint32_t *version);
/*
 * The errno carried by an NLMSG_ERROR (0 for an ack) or NLMSG_DONE (0 unless
 * the dump failed), as a value <= 0; the kernel's extack message, if any,
 * goes to msg (of len bytes; "" when there is none). Anything else is 0.
 */
int ksvc_parse_ack(const struct nlmsghdr *nlh, char *msg, size_t len);

#endif /* KSVC_MSG_H */
