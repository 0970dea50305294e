// SPDX-License-Identifier: GPL-2.0
/*
 * Addresses, endpoints, CIDRs and numbers, to and from text. Strict: no
 * signs, no spaces, no zone ids, no IPv6 without brackets next to a port.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ksvc_text.h"

static int fail(const char **why, const char *what, int err)
{
	if (why)
		*why = what;
	return err;
}

/* Decimal digits only, no sign, no spaces, at most max. */
static int parse_num(const char *s, size_t len, uint32_t max, uint32_t *val,
		     const char **why)
{
	uint64_t v = 0;
	size_t i;

	if (!len)
		return fail(why, "empty number", -EINVAL);
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return fail(why, "not a number", -EINVAL);
	for (i = 0; i < len; i++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > max)
			return fail(why, "out of range", -ERANGE);
	}
	*val = (uint32_t)v;
	return 0;
}

int ksvc_parse_u32(const char *s, uint32_t max, uint32_t *val,
		   const char **why)
{
	return parse_num(s, strlen(s), max, val, why);
}

static int parse_port(const char *s, size_t len, bool zero_ok,
		      uint16_t *port, const char **why)
{
	uint32_t v;
	int ret;

	ret = parse_num(s, len, 65535, &v, why);
	if (ret == -ERANGE || (!ret && !v && !zero_ok))
		return fail(why, zero_ok ? "out of range (0..65535)" :
					   "out of range (1..65535)", -ERANGE);
	if (ret)
		return ret;
	*port = (uint16_t)v;
	return 0;
}

int ksvc_parse_port(const char *s, bool zero_ok, uint16_t *port,
		    const char **why)
{
	return parse_port(s, strlen(s), zero_ok, port, why);
}

int ksvc_parse_addr(const char *s, struct ksvc_addr *addr, const char **why)
{
	struct ksvc_addr a = { 0 };

	if (inet_pton(AF_INET, s, &a.in) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, &a.in6) == 1)
		a.family = AF_INET6;
	else
		return fail(why, "not an IPv4 or IPv6 address", -EINVAL);
	*addr = a;
	return 0;
}

static const struct {
	const char *name;
	uint32_t flag;
} be_flags[] = {
	{ "local", KSVC_BE_F_LOCAL },
	{ "ready", KSVC_BE_F_READY },
	{ "serving", KSVC_BE_F_SERVING },
	{ "terminating", KSVC_BE_F_TERMINATING },
};

#define NFLAGS (sizeof(be_flags) / sizeof(be_flags[0]))

int ksvc_parse_be_flags(const char *s, uint32_t *flags, const char **why)
{
	const char *end;
	uint32_t f = 0;
	size_t len, i;

	for (;;) {
		end = strchr(s, ',');
		len = end ? (size_t)(end - s) : strlen(s);
		for (i = 0; i < NFLAGS; i++)
			if (strlen(be_flags[i].name) == len &&
			    !strncmp(s, be_flags[i].name, len))
				break;
		if (i == NFLAGS)
			return fail(why, len ? "unknown flag (local, ready, serving, terminating)" :
				    "empty flag", -EINVAL);
		if (f & be_flags[i].flag)
			return fail(why, "flag given twice", -EINVAL);
		f |= be_flags[i].flag;
		if (!end)
			break;
		s = end + 1;
	}
	*flags = f;
	return 0;
}

char *ksvc_format_be_flags(uint32_t flags, char *buf, size_t len)
{
	size_t n = 0, i;

	buf[0] = '\0';
	for (i = 0; i < NFLAGS; i++)
		if (flags & be_flags[i].flag)
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
					      "%s%s", n ? "," : "",
					      be_flags[i].name);
	if (flags & ~(uint32_t)__KSVC_BE_F_ALL)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s0x%x",
				      n ? "," : "",
				      flags & ~(uint32_t)__KSVC_BE_F_ALL);
	if (!n)
		snprintf(buf, len, "-");
	return buf;
}

static int parse_endpoint(const char *s, struct ksvc_backend *be,
			  bool *has_weight, const char **why);

int ksvc_parse_endpoint(const char *s, struct ksvc_backend *be,
			bool *has_weight, const char **why)
{
	char head[KSVC_ENDPOINT_STRLEN + sizeof("@65535")];
	const char *comma = strchr(s, ',');
	uint32_t flags;
	int ret;

	if (!comma)
		return parse_endpoint(s, be, has_weight, why);
	if ((size_t)(comma - s) >= sizeof(head))
		return fail(why, "not an IPv4 or IPv6 address", -EINVAL);
	ret = ksvc_parse_be_flags(comma + 1, &flags, why);
	if (ret)
		return ret;
	memcpy(head, s, (size_t)(comma - s));
	head[comma - s] = '\0';
	ret = parse_endpoint(head, be, has_weight, why);
	if (!ret)
		be->flags = flags;
	return ret;
}

static int parse_endpoint(const char *s, struct ksvc_backend *be,
			  bool *has_weight, const char **why)
{
	char host[KSVC_ADDR_STRLEN];
	const char *at, *colon, *hs, *he, *ps;
	struct ksvc_addr addr;
	uint32_t weight = 0;
	uint16_t port;
	int ret;

	at = strchr(s, '@');
	if (at) {
		if (strchr(at + 1, '@'))
			return fail(why, "more than one '@'", -EINVAL);
		if (!at[1])
			return fail(why, "missing weight after '@'", -EINVAL);
		ret = ksvc_parse_u32(at + 1, KSVC_WEIGHT_MAX, &weight, why);
		if (ret == -ERANGE)
			return fail(why, "weight out of range (0..65535)", ret);
		if (ret)
			return fail(why, "weight is not a number", ret);
	} else {
		at = s + strlen(s);
	}

	if (*s == '[') {
		hs = s + 1;
		he = memchr(hs, ']', (size_t)(at - hs));
		if (!he)
			return fail(why, "missing ']'", -EINVAL);
		if (he + 1 == at || he[1] != ':')
			return fail(why, "missing :PORT", -EINVAL);
		ps = he + 2;
	} else {
		hs = s;
		colon = memchr(s, ':', (size_t)(at - s));
		if (!colon)
			return fail(why, "missing :PORT", -EINVAL);
		if (memchr(colon + 1, ':', (size_t)(at - colon - 1)))
			return fail(why, "IPv6 address needs brackets: [ADDR]:PORT",
				    -EINVAL);
		he = colon;
		ps = colon + 1;
	}

	if ((size_t)(he - hs) >= sizeof(host))
		return fail(why, "not an IPv4 or IPv6 address", -EINVAL);
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	ret = ksvc_parse_addr(host, &addr, why);
	if (ret)
		return ret;
	if (*s == '[' && addr.family != AF_INET6)
		return fail(why, "brackets are only for IPv6 addresses", -EINVAL);

	if (ps == at)
		return fail(why, "missing port", -EINVAL);
	ret = parse_port(ps, (size_t)(at - ps), false, &port, why);
	if (ret == -EINVAL)
		return fail(why, "port is not a number", ret);
	if (ret)
		return fail(why, "port out of range (1..65535)", ret);

	be->addr = addr;
	be->port = port;
	if (*at == '@')
		be->weight = weight;
	if (has_weight)
		*has_weight = *at == '@';
	return 0;
}

static bool host_bits_zero(const struct ksvc_addr *a, unsigned int plen)
{
	size_t len = ksvc_addr_len(a->family), i;

	for (i = plen / 8; i < len; i++) {
		uint8_t mask = i == plen / 8 ? (uint8_t)(0xff >> (plen % 8)) : 0xff;

		if (a->raw[i] & mask)
			return false;
	}
	return true;
}

int ksvc_parse_cidr(const char *s, struct ksvc_cidr *cidr, const char **why)
{
	char host[KSVC_ADDR_STRLEN];
	const char *slash = strchr(s, '/');
	struct ksvc_addr addr;
	uint32_t plen;
	int ret;

	if (!slash)
		return fail(why, "missing /PREFIXLEN", -EINVAL);
	if ((size_t)(slash - s) >= sizeof(host))
		return fail(why, "not an IPv4 or IPv6 address", -EINVAL);
	memcpy(host, s, (size_t)(slash - s));
	host[slash - s] = '\0';
	ret = ksvc_parse_addr(host, &addr, why);
	if (ret)
		return ret;
	ret = ksvc_parse_u32(slash + 1, addr.family == AF_INET ? 32 : 128,
			     &plen, why);
	if (ret == -ERANGE)
		return fail(why, addr.family == AF_INET ?
			    "prefix length out of range (0..32)" :
			    "prefix length out of range (0..128)", ret);
	if (ret)
		return fail(why, "prefix length is not a number", ret);
	if (!host_bits_zero(&addr, plen))
		return fail(why, "host bits are set", -EINVAL);
	cidr->addr = addr;
	cidr->prefixlen = (uint8_t)plen;
	return 0;
}

char *ksvc_format_addr(const struct ksvc_addr *addr, char *buf, size_t len)
{
	if (!inet_ntop(addr->family, addr->raw, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

char *ksvc_format_endpoint(const struct ksvc_addr *addr, uint16_t port,
			   char *buf, size_t len)
{
	char a[KSVC_ADDR_STRLEN];

	ksvc_format_addr(addr, a, sizeof(a));
	if (addr->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
	return buf;
}

char *ksvc_format_cidr(const struct ksvc_cidr *cidr, char *buf, size_t len)
{
	char a[KSVC_ADDR_STRLEN];

	snprintf(buf, len, "%s/%u", ksvc_format_addr(&cidr->addr, a, sizeof(a)),
		 cidr->prefixlen);
	return buf;
}
