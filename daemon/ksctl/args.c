// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing pieces every object uses: the usage error, the service name,
 * addresses and endpoints with their one-line complaints.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>

#include "ksctl.h"
#include "ksvc_text.h"

/* Sets req->err to "CMD: what was wrong" and returns -EINVAL. */
int ksctl_usage(struct ksctl_req *req, const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;

	if (req->cmd)
		n = (size_t)snprintf(req->err, sizeof(req->err), "%s: ",
				     req->cmd);
	va_start(ap, fmt);
	vsnprintf(req->err + n, sizeof(req->err) - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* argv[i] is the service name: there, not empty, short enough, and only
 * visible ASCII, which keeps the dump and the tables one line per item. */
int ksctl_parse_name(struct ksctl_req *req, int argc, char **argv, int i)
{
	const char *name = i < argc ? argv[i] : NULL;
	const char *p;
	size_t len;

	if (!name)
		return ksctl_usage(req, "missing service name");
	len = strlen(name);
	if (!len)
		return ksctl_usage(req, "empty service name");
	if (len >= KSVC_NAME_MAX)
		return ksctl_usage(req, "service name too long (%zu bytes, %d at most)",
				   len, KSVC_NAME_MAX - 1);
	for (p = name; *p; p++)
		if (*p <= ' ' || *p > '~')
			return ksctl_usage(req, "invalid service name \"%s\": printable characters only, no spaces",
					   name);
	memcpy(req->svc.name, name, len + 1);
	req->has_name = true;
	return 0;
}

int ksctl_no_more(struct ksctl_req *req, int argc, char **argv, int i)
{
	if (i < argc)
		return ksctl_usage(req, "unexpected argument \"%s\"", argv[i]);
	return 0;
}

static const char *not_unicast(const struct ksvc_addr *a)
{
	static const uint8_t zero[16];

	if (!memcmp(a->raw, zero, ksvc_addr_len(a->family)))
		return "unspecified address";
	if (a->family == AF_INET ? (a->raw[0] & 0xf0) == 0xe0 :
				   a->raw[0] == 0xff)
		return "multicast address";
	if (a->family == AF_INET && a->in.s_addr == INADDR_BROADCAST)
		return "broadcast address";
	return NULL;
}

/* An address a service or a backend can have. */
int ksctl_parse_unicast(struct ksctl_req *req, const char *what,
			const char *s, struct ksvc_addr *addr)
{
	const char *why;

	if (ksvc_parse_addr(s, addr, &why))
		return ksctl_usage(req, "invalid %s \"%s\": %s", what, s, why);
	why = not_unicast(addr);
	if (why)
		return ksctl_usage(req, "invalid %s \"%s\": %s", what, s, why);
	return 0;
}

int ksctl_parse_endpoint(struct ksctl_req *req, const char *s,
			 struct ksvc_backend *be, bool *has_weight)
{
	const char *why;

	ksvc_backend_init(be);
	if (ksvc_parse_endpoint(s, be, has_weight, &why))
		return ksctl_usage(req, "invalid endpoint \"%s\": %s", s, why);
	why = not_unicast(&be->addr);
	if (why)
		return ksctl_usage(req, "invalid endpoint \"%s\": %s", s, why);
	return 0;
}

/*
 * "CIDR[,CIDR]..." into out[] (at most max), "" or "none" for none; what
 * names the keyword in complaints, many the things counted.
 */
int ksctl_parse_cidrs(struct ksctl_req *req, const char *what,
		      const char *many, const char *val,
		      struct ksvc_cidr *out, size_t *n, size_t max)
{
	char one[KSVC_CIDR_STRLEN + 1];
	const char *p = val, *end, *why;
	struct ksvc_cidr c;
	size_t len, i;

	*n = 0;
	if (!*val || !strcmp(val, "none"))
		return 0;
	for (;;) {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len >= sizeof(one))
			return ksctl_usage(req, "invalid %s \"%.*s\": too long",
					   what, (int)len, p);
		memcpy(one, p, len);
		one[len] = '\0';
		if (ksvc_parse_cidr(one, &c, &why))
			return ksctl_usage(req, "invalid %s \"%s\": %s",
					   what, one, why);
		for (i = 0; i < *n; i++)
			if (out[i].prefixlen == c.prefixlen &&
			    ksvc_addr_equal(&out[i].addr, &c.addr))
				return ksctl_usage(req, "%s %s given twice",
						   what, one);
		if (*n == max)
			return ksctl_usage(req, "too many %s (%zu at most)",
					   many, max);
		out[(*n)++] = c;
		if (!end)
			return 0;
		p = end + 1;
	}
}
