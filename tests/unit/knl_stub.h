/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of Linux 6.1's <net/netlink.h> and <net/genetlink.h> to
 * compile kmod/netlink.c's policy tables and its ops array in userspace
 * (the Makefile cuts them out of the file into netlink_policy.inc), so
 * that test_kpolicy.c can hold kpolicy.c's tables against the module's.
 *
 * The types, enums and NLA_POLICY_* macros mean what 6.1's do (the enum
 * order is 6.1's; the macros fill the same fields). A macro netlink.c
 * starts to use and this file lacks fails the build: add it here, with
 * the kernel's meaning, and teach test_kpolicy.c to read it.
 */
#ifndef KNL_STUB_H
#define KNL_STUB_H

#include <limits.h>
#include <stdint.h>
#include <netinet/in.h>
#include <linux/kservice.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef int16_t s16;
typedef uint32_t u32;
typedef uint64_t u64;

enum {
	NLA_UNSPEC,
	NLA_U8,
	NLA_U16,
	NLA_U32,
	NLA_U64,
	NLA_STRING,
	NLA_FLAG,
	NLA_MSECS,
	NLA_NESTED,
	NLA_NESTED_ARRAY,
	NLA_NUL_STRING,
	NLA_BINARY,
	NLA_S8,
	NLA_S16,
	NLA_S32,
	NLA_S64,
	NLA_BITFIELD32,
	NLA_REJECT,
	NLA_BE16,
	NLA_BE32,
	__NLA_TYPE_MAX,
};

enum nla_policy_validation {
	NLA_VALIDATE_NONE,
	NLA_VALIDATE_RANGE,
	NLA_VALIDATE_RANGE_WARN_TOO_LONG,
	NLA_VALIDATE_MIN,
	NLA_VALIDATE_MAX,
	NLA_VALIDATE_MASK,
	NLA_VALIDATE_RANGE_PTR,
	NLA_VALIDATE_FUNCTION,
};

struct netlink_range_validation {
	u64 min, max;
};

struct nla_policy {
	u8 type;
	u8 validation_type;
	u16 len;
	union {
		const struct nla_policy *nested_policy;
		struct netlink_range_validation *range;
		struct {
			s16 min, max;
		};
	};
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BIT_ULL(n)	(1ULL << (n))

#define NLA_POLICY_RANGE(tp, _min, _max) {		\
	.type = (tp),					\
	.validation_type = NLA_VALIDATE_RANGE,		\
	.min = (_min),					\
	.max = (_max),					\
}
#define NLA_POLICY_MIN(tp, _min) {			\
	.type = (tp),					\
	.validation_type = NLA_VALIDATE_MIN,		\
	.min = (_min),					\
}
#define NLA_POLICY_MAX(tp, _max) {			\
	.type = (tp),					\
	.validation_type = NLA_VALIDATE_MAX,		\
	.max = (_max),					\
}
#define NLA_POLICY_FULL_RANGE(tp, _range) {		\
	.type = (tp),					\
	.validation_type = NLA_VALIDATE_RANGE_PTR,	\
	.range = (_range),				\
}
#define NLA_POLICY_NESTED(policy) {			\
	.type = NLA_NESTED,				\
	.nested_policy = (policy),			\
	.len = ARRAY_SIZE(policy) - 1,			\
}
#define NLA_POLICY_NESTED_ARRAY(policy) {		\
	.type = NLA_NESTED_ARRAY,			\
	.nested_policy = (policy),			\
	.len = ARRAY_SIZE(policy) - 1,			\
}

/* genetlink: the ops array without its handlers (the Makefile drops the
 * .doit, .start, .dumpit and .done lines). */
#define GENL_ADMIN_PERM		0x01
#define GENL_UNS_ADMIN_PERM	0x10

struct genl_ops {
	u8 cmd;
	u8 flags;
	const struct nla_policy *policy;
	unsigned int maxattr;
};

#endif /* KNL_STUB_H */
