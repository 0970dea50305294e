// SPDX-License-Identifier: GPL-2.0
/*
 * The names of protocols, schedulers, frontend kinds and families, one table
 * each, used both ways.
 */
#include <errno.h>
#include <strings.h>
#include <sys/socket.h>

#include "ksvc_text.h"

struct name {
	const char *name;
	int value;
};

static const struct name protos[] = {
	{ "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },
	{ "sctp", IPPROTO_SCTP },
	{ NULL, 0 }
};

static const struct name scheds[] = {
	{ "random", KSVC_SCHED_RANDOM },
	{ "rr", KSVC_SCHED_RR },
	{ "maglev", KSVC_SCHED_MAGLEV },
	{ NULL, 0 }
};

static const struct name kinds[] = {
	{ "cluster-ip", KSVC_FE_CLUSTER_IP },
	{ "external-ip", KSVC_FE_EXTERNAL_IP },
	{ "lb-ip", KSVC_FE_LOAD_BALANCER_IP },
	{ NULL, 0 }
};

static const struct name families[] = {
	{ "ipv4", AF_INET },
	{ "ipv6", AF_INET6 },
	{ NULL, 0 }
};

static int from_name(const struct name *t, const char *s)
{
	for (; t->name; t++)
		if (!strcasecmp(t->name, s))
			return t->value;
	return -EINVAL;
}

static const char *to_name(const struct name *t, int value)
{
	for (; t->name; t++)
		if (t->value == value)
			return t->name;
	return NULL;
}

int ksvc_proto_from_name(const char *s)
{
	return from_name(protos, s);
}

const char *ksvc_proto_name(uint8_t proto)
{
	return to_name(protos, proto);
}

int ksvc_sched_from_name(const char *s)
{
	return from_name(scheds, s);
}

const char *ksvc_sched_name(uint8_t sched)
{
	return to_name(scheds, sched);
}

int ksvc_fe_kind_from_name(const char *s)
{
	return from_name(kinds, s);
}

const char *ksvc_fe_kind_name(uint8_t kind)
{
	return to_name(kinds, kind);
}

const char *ksvc_family_name(uint16_t family)
{
	return to_name(families, family);
}

int ksvc_parse_bool(const char *s, bool *val)
{
	static const struct name bools[] = {
		{ "0", 0 }, { "off", 0 }, { "false", 0 },
		{ "1", 1 }, { "on", 1 }, { "true", 1 },
		{ NULL, 0 }
	};
	int v = from_name(bools, s);

	if (v < 0)
		return v;
	*val = v;
	return 0;
}
