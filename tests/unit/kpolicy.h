/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's side of the requests, for tests: kservice's attribute
 * policies as strict generic netlink validation applies them (exact integer
 * sizes, NLA_F_NESTED on nests and only there, no unknown or type-0
 * attributes, no trailing bytes, ranges), then what each command's handler
 * checks according to uapi/linux/kservice.h. Written from the spec, apart
 * from the library, so a request that passes here is one the module takes;
 * test_kpolicy.c holds the tables against kmod/netlink.c's own.
 */
#ifndef KPOLICY_H
#define KPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include "ksvc_types.h"

#define KP_WHY_MAX	128

/*
 * The policy tables, for test_kpolicy.c, which holds them against the
 * module's own (kmod/netlink.c's policies, compiled here).
 */
enum kp_type {
	KP_NONE,		/* not accepted */
	KP_U8,
	KP_U16,
	KP_U32,
	KP_U64,
	KP_NUL_STRING,		/* .max: longest string without the NUL */
	KP_BINARY,		/* .min, .max: shortest and longest */
	KP_NESTED,		/* .nested with .nested_max */
	KP_NESTED_ARRAY,	/* members are nests of .nested */
};

struct kp_policy {
	enum kp_type type;
	bool range;
	uint64_t min, max;
	const struct kp_policy *nested;
	int nested_max;
};

/* Every request's top-level attributes (KSVC_A_MAX + 1 entries)... */
extern const struct kp_policy kp_top_policy[];
/* ...of which command cmd takes these (bit n: attribute n). */
uint64_t kp_allowed(uint8_t cmd);

struct kp_req {
	uint8_t cmd;
	uint16_t nlflags;
	const struct nlattr *tb[KSVC_A_MAX + 1];
};

/*
 * Validates the request nlh to family like kservice.ko would and fills
 * req. Returns 0 or the errno the kernel would answer with (-EINVAL,
 * -ERANGE, -EOPNOTSUPP), why saying what was wrong.
 */
int kp_check_request(const struct nlmsghdr *nlh, int family,
		     struct kp_req *req, char *why);

/* The members of an already checked list, appended to svc. */
void kp_frontends(const struct nlattr *list, struct ksvc_service *svc);
void kp_backends(const struct nlattr *list, struct ksvc_service *svc);
void kp_source_ranges(const struct nlattr *list, struct ksvc_service *svc);
size_t kp_count(const struct nlattr *list);

#endif /* KPOLICY_H */
