/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Text forms of kservice objects: parsing what people and manifests write,
 * and formatting what the kernel reports. Pure functions, no I/O.
 *
 * Parsers return 0, -EINVAL (malformed) or -ERANGE (a number out of range)
 * and, when why is not NULL, point it at a static phrase saying what was
 * wrong, for error messages.
 */
#ifndef KSVC_TEXT_H
#define KSVC_TEXT_H

#include <arpa/inet.h>
#include "ksvc_types.h"

#define KSVC_ADDR_STRLEN	INET6_ADDRSTRLEN
#define KSVC_ENDPOINT_STRLEN	(INET6_ADDRSTRLEN + sizeof("[]:65535"))
#define KSVC_CIDR_STRLEN	(INET6_ADDRSTRLEN + sizeof("/128"))

int ksvc_parse_u32(const char *s, uint32_t max, uint32_t *val,
		   const char **why);
int ksvc_parse_port(const char *s, bool zero_ok, uint16_t *port,
		    const char **why);
int ksvc_parse_addr(const char *s, struct ksvc_addr *addr, const char **why);
/* "1.2.3.4:80", "[2001:db8::1]:80", either with an optional "@WEIGHT", then
 * optional ",FLAG" words (local, ready, serving, terminating: the backend
 * flags, EndpointSlice conditions; none of the last three means ready).
 * Fills be->addr, be->port and, if given, be->weight (and sets *has_weight)
 * and be->flags; other fields are left alone. */
int ksvc_parse_endpoint(const char *s, struct ksvc_backend *be,
			bool *has_weight, const char **why);
/* "10.0.0.0/8", "fd00::/64": the prefix length is required and the host
 * bits must be zero. */
int ksvc_parse_cidr(const char *s, struct ksvc_cidr *cidr, const char **why);
/* "local,serving,terminating" into KSVC_BE_F_* bits. */
int ksvc_parse_be_flags(const char *s, uint32_t *flags, const char **why);
/* 0, 1, on, off, true, false. */
int ksvc_parse_bool(const char *s, bool *val);

/* Names are matched without regard to case ("TCP" as in Kubernetes, "tcp");
 * the *_from_name functions return the value or -EINVAL, the *_name ones
 * NULL for a value they do not know. */
int ksvc_proto_from_name(const char *s);
const char *ksvc_proto_name(uint8_t proto);
int ksvc_sched_from_name(const char *s);
const char *ksvc_sched_name(uint8_t sched);
int ksvc_fe_kind_from_name(const char *s);
const char *ksvc_fe_kind_name(uint8_t kind);
const char *ksvc_family_name(uint16_t family);

/* These write into buf (of len bytes) and return it; an address of an
 * unknown family comes out as "?". */
char *ksvc_format_addr(const struct ksvc_addr *addr, char *buf, size_t len);
char *ksvc_format_endpoint(const struct ksvc_addr *addr, uint16_t port,
			   char *buf, size_t len);
/* "local,ready", unknown bits in hex, "-" for none. */
char *ksvc_format_be_flags(uint32_t flags, char *buf, size_t len);
char *ksvc_format_cidr(const struct ksvc_cidr *cidr, char *buf, size_t len);

#endif /* KSVC_TEXT_H */
