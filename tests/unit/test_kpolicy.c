// SPDX-License-Identifier: GPL-2.0
/*
 * kpolicy.c is written from the spec, apart from the module; here it is
 * held against the module itself: kmod/netlink.c's policy tables and ops
 * array, compiled in userspace (knl_stub.h, netlink_policy.inc cut out of
 * the file by the Makefile), entry by entry.
 *
 * For every command: each attribute kpolicy lets the command take must be
 * one the module's policy for that command accepts, with the same rule
 * (type, bounds, nested policy, attribute by attribute, down the nests).
 * kpolicy may refuse more (the handlers refuse attributes their command
 * does not read), never accept more or differently.
 *
 * KPOLICY_NETLINK_INC (the Makefile sets it) names the file to include;
 * check-kpolicy-selftest builds this test again over planted changes to
 * either side and expects it to fail.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <linux/genetlink.h>

#include "knl_stub.h"
#include "kpolicy.h"

#include KPOLICY_NETLINK_INC

/* What one entry accepts, in kpolicy's terms. */
struct rule {
	enum kp_type type;
	uint64_t lo, hi;
	const void *knested;		/* the module's nested policy */
	const struct kp_policy *nested;	/* kpolicy's */
	int nested_max;
};

static unsigned int diffs;

static void diff(const char *where, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_message("kpolicy differs from kmod/netlink.c: %s: %s\n", where,
		      msg);
	diffs++;
}

static uint64_t type_max(enum kp_type t)
{
	switch (t) {
	case KP_U8:
		return UINT8_MAX;
	case KP_U16:
		return UINT16_MAX;
	case KP_U32:
		return UINT32_MAX;
	default:
		return UINT64_MAX;
	}
}

/* The module's entry as a rule; false (and a diff) when this test does
 * not know how 6.1 validates it. */
static bool kernel_rule(const struct nla_policy *pt, const char *where,
			struct rule *r)
{
	static const enum kp_type ints[] = {
		[NLA_U8] = KP_U8, [NLA_U16] = KP_U16,
		[NLA_U32] = KP_U32, [NLA_U64] = KP_U64,
	};

	memset(r, 0, sizeof(*r));
	switch (pt->type) {
	case NLA_UNSPEC:	/* strict validation: refused */
	case NLA_REJECT:
		r->type = KP_NONE;
		return true;
	case NLA_U8:
	case NLA_U16:
	case NLA_U32:
	case NLA_U64:
		r->type = ints[pt->type];
		r->hi = type_max(r->type);
		break;
	case NLA_NUL_STRING:
		r->type = KP_NUL_STRING;
		r->hi = pt->len ? pt->len : UINT64_MAX;
		break;
	case NLA_BINARY:
		r->type = KP_BINARY;
		r->hi = pt->len ? pt->len : UINT64_MAX;
		break;
	case NLA_NESTED:
	case NLA_NESTED_ARRAY:
		r->type = pt->type == NLA_NESTED ? KP_NESTED : KP_NESTED_ARRAY;
		r->knested = pt->nested_policy;
		r->nested_max = pt->len;
		if (pt->validation_type != NLA_VALIDATE_NONE) {
			diff(where, "nest with validation type %u",
			     pt->validation_type);
			return false;
		}
		return true;
	default:
		diff(where, "netlink type %u: teach test_kpolicy.c", pt->type);
		return false;
	}
	switch (pt->validation_type) {
	case NLA_VALIDATE_NONE:
		break;
	case NLA_VALIDATE_RANGE:
		r->lo = (uint64_t)pt->min;
		r->hi = r->hi < (uint64_t)pt->max ? r->hi : (uint64_t)pt->max;
		break;
	case NLA_VALIDATE_MIN:
		r->lo = (uint64_t)pt->min;
		break;
	case NLA_VALIDATE_MAX:
		r->hi = r->hi < (uint64_t)pt->max ? r->hi : (uint64_t)pt->max;
		break;
	case NLA_VALIDATE_RANGE_PTR:
		r->lo = pt->range->min;
		r->hi = r->hi < pt->range->max ? r->hi : pt->range->max;
		break;
	default:
		diff(where, "validation type %u: teach test_kpolicy.c",
		     pt->validation_type);
		return false;
	}
	if (r->type == KP_NUL_STRING && pt->validation_type)
		diff(where, "a string with a validation type");
	return true;
}

static void kp_rule(const struct kp_policy *pt, struct rule *r)
{
	memset(r, 0, sizeof(*r));
	r->type = pt->type;
	switch (pt->type) {
	case KP_NONE:
		break;
	case KP_U8:
	case KP_U16:
	case KP_U32:
	case KP_U64:
		r->lo = pt->range ? pt->min : 0;
		r->hi = pt->range ? pt->max : type_max(pt->type);
		break;
	case KP_NUL_STRING:	/* .max always applies */
		r->hi = pt->max;
		break;
	case KP_BINARY:
		r->lo = pt->range ? pt->min : 0;
		r->hi = pt->max;
		break;
	case KP_NESTED:
	case KP_NESTED_ARRAY:
		r->nested = pt->nested;
		r->nested_max = pt->nested_max;
		break;
	}
}

static const char *const type_names[] = {
	"refused", "u8", "u16", "u32", "u64", "NUL string", "binary", "nest",
	"nested array",
};

static void compare_policy(const struct nla_policy *k, int kmax,
			   const struct kp_policy *p, int pmax,
			   const char *where, int depth);

static void compare_entry(const struct nla_policy *kpt,
			  const struct kp_policy *ppt, const char *where,
			  int depth)
{
	struct rule kr, pr;

	if (!kernel_rule(kpt, where, &kr))
		return;
	kp_rule(ppt, &pr);
	if (kr.type != pr.type) {
		diff(where, "module: %s, kpolicy: %s", type_names[kr.type],
		     type_names[pr.type]);
		return;
	}
	if (kr.lo != pr.lo || kr.hi != pr.hi)
		diff(where, "module: %" PRIu64 "..%" PRIu64 ", kpolicy: %"
		     PRIu64 "..%" PRIu64, kr.lo, kr.hi, pr.lo, pr.hi);
	if (kr.type == KP_NESTED || kr.type == KP_NESTED_ARRAY) {
		if (!kr.knested || !pr.nested)
			diff(where, "nest without a policy");
		else if (depth > 4)
			diff(where, "nested too deep");
		else
			compare_policy(kr.knested, kr.nested_max, pr.nested,
				       pr.nested_max, where, depth + 1);
	}
}

/* Two policies of a nest compared whole: the same maxtype, every entry. */
static void compare_policy(const struct nla_policy *k, int kmax,
			   const struct kp_policy *p, int pmax,
			   const char *where, int depth)
{
	char sub[128];
	int t;

	if (kmax != pmax) {
		diff(where, "nest maxtype: module %d, kpolicy %d", kmax, pmax);
		return;
	}
	for (t = 1; t <= kmax; t++) {
		snprintf(sub, sizeof(sub), "%s/%d", where, t);
		compare_entry(&k[t], &p[t], sub, depth);
	}
}

static const struct genl_ops *module_op(uint8_t cmd)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ksvc_genl_ops); i++)
		if (ksvc_genl_ops[i].cmd == cmd)
			return &ksvc_genl_ops[i];
	return NULL;
}

/* Each command's attributes, as above. */
static void kpolicy_test_commands(void **state)
{
	unsigned int cmd;
	int t;

	(void)state;
	diffs = 0;
	for (cmd = 1; cmd <= KSVC_CMD_MAX; cmd++) {
		const struct genl_ops *op = module_op((uint8_t)cmd);
		uint64_t allowed = kp_allowed((uint8_t)cmd);
		char where[64];

		snprintf(where, sizeof(where), "command %u", cmd);
		if (!op) {
			diff(where, "not in the module's ops");
			continue;
		}
		/* No policy: 6.1 fills in one that rejects every attribute. */
		if (!op->policy) {
			if (allowed)
				diff(where, "the module takes no attribute, "
				     "kpolicy some (%#" PRIx64 ")", allowed);
			continue;
		}
		if (op->maxattr != KSVC_A_MAX)
			diff(where, "maxattr %u", op->maxattr);
		for (t = 1; t <= KSVC_A_MAX; t++) {
			struct rule kr;

			if (!(allowed & (1ULL << t)))
				continue;
			snprintf(where, sizeof(where), "command %u attribute %d",
				 cmd, t);
			if ((unsigned int)t > op->maxattr) {
				diff(where, "past the module's maxattr");
				continue;
			}
			if (kernel_rule(&op->policy[t], where, &kr) &&
			    kr.type == KP_NONE)
				diff(where, "the module's policy refuses it");
			else
				compare_entry(&op->policy[t], &kp_top_policy[t],
					      where, 0);
		}
	}
	if (diffs)
		fail_msg("%u differences", diffs);
}

/* The comparison sees what it claims to: the module's tables are there
 * and some commands take attributes with bounds. */
static void kpolicy_test_sane(void **state)
{
	const struct genl_ops *op = module_op(KSVC_CMD_SVC_NEW);

	(void)state;
	assert_int_equal(ARRAY_SIZE(ksvc_genl_ops), KSVC_CMD_MAX);
	assert_non_null(op);
	assert_non_null(op->policy);
	assert_int_equal(op->policy[KSVC_A_SVC_NAME].type, NLA_NUL_STRING);
	assert_true(kp_allowed(KSVC_CMD_SVC_NEW) & (1ULL << KSVC_A_SVC_NAME));
	assert_true(kp_allowed(KSVC_CMD_CFG_SET) &
		    (1ULL << KSVC_A_CFG_CLUSTER_CIDRS));
}

/* A KSVC_CMD_SVC_DEL with a name of len bytes (data, or that many x's
 * and a final NUL), built by hand (libnl's names clash with the
 * kernel's here), through kpolicy. */
static int del_with_name(const char *data, int len, char *why)
{
	union {
		struct nlmsghdr nlh;
		char b[1024];
	} m = { 0 };
	struct genlmsghdr *g = NLMSG_DATA(&m.nlh);
	struct nlattr *a = (struct nlattr *)((char *)g + GENL_HDRLEN);
	struct kp_req req;

	assert_true(NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN +
		    NLA_ALIGN(len) <= (int)sizeof(m));
	if (data) {
		memcpy((char *)a + NLA_HDRLEN, data, (size_t)len);
	} else {
		memset((char *)a + NLA_HDRLEN, 'x', (size_t)len);
		((char *)a + NLA_HDRLEN)[len - 1] = '\0';
	}
	a->nla_type = KSVC_A_SVC_NAME;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	g->cmd = KSVC_CMD_SVC_DEL;
	g->version = 1;
	m.nlh.nlmsg_type = 0x20;
	m.nlh.nlmsg_flags = NLM_F_REQUEST;
	m.nlh.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + GENL_HDRLEN +
				     NLA_HDRLEN + NLA_ALIGN(len));
	return kp_check_request(&m.nlh, 0x20, &req, why);
}

/* NLA_NUL_STRING as 6.1 validates it: a NUL within the first len + 1
 * bytes or -EINVAL (so a name too long is -EINVAL), then at most len
 * bytes besides a final NUL or -ERANGE. */
static void kpolicy_test_strings(void **state)
{
	const int max = KSVC_NAME_MAX - 1;
	char why[KP_WHY_MAX];

	(void)state;
	assert_int_equal(del_with_name(NULL, max + 1, why), 0);
	assert_int_equal(del_with_name(NULL, max + 2, why), -EINVAL);
	assert_int_equal(del_with_name(NULL, 2 * max, why), -EINVAL);
	assert_int_equal(del_with_name("abc", 3, why), -EINVAL);
	/* A NUL early, then more than max bytes. */
	{
		char b[KSVC_NAME_MAX + 2];

		memset(b, 'y', sizeof(b));
		b[1] = '\0';
		assert_int_equal(del_with_name(b, (int)sizeof(b), why),
				 -ERANGE);
		assert_int_equal(del_with_name(b, max, why), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kpolicy_test_sane),
		cmocka_unit_test(kpolicy_test_commands),
		cmocka_unit_test(kpolicy_test_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
