/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * kservice: an in-kernel Kubernetes Service proxy.
 *
 * This header is the specification of the generic netlink interface between
 * kservice.ko and its userspace (kserviced, ksctl). It only ever grows:
 * commands and attributes are appended, never renumbered.
 *
 * Family
 * ------
 * Name KSVC_GENL_NAME ("kservice"), version KSVC_GENL_VERSION. The family is
 * per network namespace (netnsok): every command acts on the tables of the
 * namespace of the socket that sends it. Every command needs CAP_NET_ADMIN in
 * the user namespace that owns that network namespace (GENL_UNS_ADMIN_PERM).
 * Requesting the family loads the module (MODULE_ALIAS_GENL_FAMILY).
 *
 * Objects
 * -------
 * A *service* is one port of a Kubernetes Service, named
 * "namespace/name:portname", or "namespace/name" when the port has no name.
 * It has a protocol (TCP, UDP or SCTP), a port, a set of *frontends* (cluster
 * IPs, external IPs and load-balancer ingress IPs, all at that port), an
 * optional node port (matched on every local address of the node), a
 * scheduler, an opaque generation (for the caller's mark-and-sweep) and a set
 * of *backends* (address, port, weight). A change is atomic to packets: a
 * packet sees a service, its frontends, backend set, scheduler, flags,
 * affinity and source ranges, as it was before a request or as it is after
 * it, never a mix (a new load-balancer IP is never seen without the source
 * ranges that came with it); a refused request changes nothing.
 *
 * Two services may not share a frontend: (family, address, protocol, port)
 * for IP frontends and (family, protocol, node port) for node ports are
 * unique in a namespace (-EEXIST otherwise, with an extack message). A node
 * port is entered for both families.
 *
 * A set may mix IPv4 and IPv6 backends (a dual-stack Service): a connection
 * is only ever sent to a backend of its own family, and one with no usable
 * backend of its family is refused (TCP RST; SCTP ABORT; ICMP or ICMPv6
 * port unreachable for UDP), as kube-proxy's REJECT.
 *
 * Which backends take a new connection (kube-proxy's rules):
 * - A backend's KSVC_BE_F_READY, _SERVING and _TERMINATING are its
 *   EndpointSlice conditions; one with none of the three is taken as
 *   ready (Kubernetes' reading of unset conditions). Weight 0 drains.
 * - The cluster set of a family: its ready backends of non-zero weight;
 *   if there are none, its serving-and-terminating ones. The local set:
 *   the same rule over the backends flagged KSVC_BE_F_LOCAL only.
 * - Traffic to a cluster IP uses the cluster set, or the local set with
 *   KSVC_SVC_F_INTERNAL_LOCAL (internalTrafficPolicy: Local).
 * - Traffic to a node port, external IP or load-balancer IP uses the
 *   cluster set, or with KSVC_SVC_F_EXTERNAL_LOCAL
 *   (externalTrafficPolicy: Local) the local set, not masqueraded, so the
 *   backend sees the client's address. Two exceptions, as kube-proxy's:
 *   the node's own connections use the cluster set, masqueraded, and
 *   sources in a cluster CIDR (pods) use the cluster set.
 * - An empty cluster set refuses the connection (see above); a set that is
 *   empty only because a Local policy applies drops its packets silently,
 *   counted in KSVC_STATS_A_DROPS. Connections already made to a backend
 *   that then terminates carry on.
 *
 * The Maglev scheduler (KSVC_SCHED_MAGLEV) hashes a new connection's source
 * address and port to an entry of a lookup table of a prime size (module
 * parameter maglev_size, default 65537), built from each backend set when
 * the set is made, not on the packet path, and swapped in with it. A
 * backend of weight w gets w shares of the entries; adding or removing one
 * backend of N moves about 1/N of the flows, and every node with the same
 * set maps a flow alike. A pool larger than the table falls back to
 * weighted random.
 *
 * A service may restrict who reaches its load-balancer IPs
 * (loadBalancerSourceRanges, KSVC_A_SVC_SOURCE_RANGES): new connections to
 * a KSVC_FE_LOAD_BALANCER_IP frontend from a source in none of the ranges
 * are dropped silently, counted in KSVC_STATS_A_DROPS, the node's own
 * included; a family without any range in a non-empty list is denied
 * whole. Its other frontends are not restricted. No list: no restriction.
 *
 * A service may have ClientIP session affinity (KSVC_A_SVC_AFFINITY, a
 * timeout in seconds): every new connection from a client address then
 * goes to the backend that address's previous connection went to, as long
 * as that backend is still in the set and may take new connections, and
 * less than the timeout has passed since the client's last new connection
 * to the service (kube-proxy's "recent" match, which each new connection
 * sets). The bindings are per namespace, at most affinity_max of them
 * (sysctl net.kservice.affinity_max, KSVC_A_CFG_AFFINITY_MAX), and at most
 * the module parameter affinity_max_total in all namespaces together;
 * expired ones are reaped within seconds. When either bound is reached, a
 * new client is scheduled as without affinity, and not remembered. A
 * binding is made once the first packet of the client's connection has
 * reached POST_ROUTING (a packet dropped before makes none).
 *
 * Connections to a backend that leaves the set, or to a service that goes,
 * carry on through conntrack (TCP: until the backend or the client ends
 * them), except UDP and SCTP ones: every command that takes a backend out
 * of a UDP or SCTP service's set (BE_REPLACE, BE_DEL, SVC_SET with
 * backends), deletes the service (SVC_DEL, FLUSH) or moves its frontends
 * (SVC_SET of the protocol, port, node port or frontends) also deletes, in
 * the kernel and before its ack, the conntrack entries translated to its
 * frontends that no longer lead to a backend of the set, and those
 * translated to frontends it removed. The next datagram of such a flow is
 * then scheduled afresh, to a live backend. A first packet of such a flow
 * that was translated while the command ran (its entry not yet in
 * conntrack's table when the walk passed) is dropped at POST_ROUTING, and
 * its entry with it: after the ack no packet goes to the backend that
 * left. A backend that stays (its weight set to 0 included) keeps its
 * flows. This cleanup is one walk of conntrack's table, per command, or
 * per batch: a command with KSVC_REQ_F_DEFER_CT leaves it to the next one
 * without that flag (KSVC_CMD_CT_CLEANUP does nothing else), which does
 * it for all the commands before it; if none comes, the kernel does it a
 * second after the first deferred command. The walk holds the namespace's
 * lock only, never one other namespaces' commands wait for.
 *
 * UDP and SCTP flows that began before a frontend could translate them
 * (before the service, or while it had no backend) are deleted too, as
 * kube-proxy deletes them, by the command that gives the frontend its
 * first backend (SVC_NEW with backends, BE_REPLACE, BE_ADD, SVC_SET):
 * their entries, untranslated, would keep a client that asks from one
 * source port (a resolver at a node's boot) from reaching the service.
 *
 * Limits: more than KSVC_FRONTENDS_MAX frontends, KSVC_CIDRS_MAX cluster
 * CIDRs, KSVC_SOURCE_RANGES_MAX source ranges or the module's max_backends
 * backends is -E2BIG; a namespace that
 * holds max_services services refuses more with -ENOSPC.
 *
 * Conventions
 * -----------
 * - Ports, weights and counts are in host byte order; addresses are in network
 *   byte order, 4 bytes for AF_INET and 16 for AF_INET6, and must match the
 *   family given beside them.
 * - Attribute policies are strict: unknown attributes, wrong lengths and out
 *   of range values are rejected with -EINVAL (or -ERANGE) and an extack
 *   message naming the attribute. Unknown flag bits get -EOPNOTSUPP.
 * - Every error comes back as the errno of the netlink ack, with an extack
 *   message saying what was wrong. Nothing changes on error.
 * - Lists are nested attributes whose members are nests of type 0 (the type
 *   of a member is ignored; members keep their order).
 * - 64-bit counters are aligned with KSVC_A_PAD / KSVC_STATS_A_PAD /
 *   KSVC_BE_A_PAD.
 *
 * Commands
 * --------
 * KSVC_CMD_SVC_NEW: create a service.
 *   Needs KSVC_A_SVC_NAME, KSVC_A_SVC_PROTO, KSVC_A_SVC_PORT.
 *   Optional: KSVC_A_SVC_FRONTENDS, KSVC_A_SVC_NODE_PORT, KSVC_A_SVC_SCHED,
 *   KSVC_A_SVC_FLAGS, KSVC_A_SVC_GENERATION, KSVC_A_SVC_BACKENDS (the initial
 *   backend set, which must fit in this one message), KSVC_A_SVC_AFFINITY,
 *   KSVC_A_SVC_SOURCE_RANGES (an empty nest: no restriction).
 *   -EEXIST if the name or one of its frontends is taken.
 *
 * KSVC_CMD_SVC_SET: change a service. Needs KSVC_A_SVC_NAME; every other
 *   attribute of SVC_NEW that is present replaces the current value as a
 *   whole (KSVC_A_SVC_FRONTENDS replaces the whole frontend list; an empty
 *   nest removes every frontend; KSVC_A_SVC_NODE_PORT 0 removes the node
 *   port). Absent attributes keep their value. Changing the protocol or port
 *   moves every frontend atomically. Backends are not touched unless
 *   KSVC_A_SVC_BACKENDS is present. -ENOENT if there is no such service.
 *
 * KSVC_CMD_SVC_DEL: delete a service. Needs KSVC_A_SVC_NAME. -ENOENT if
 *   absent. Established connections carry on through conntrack; new ones to
 *   its frontends are no longer translated.
 *
 * KSVC_CMD_SVC_GET: dump services (NLM_F_DUMP only).
 *   Request, all optional: KSVC_A_SVC_NAME (only that service; -ENOENT if it
 *   does not exist), KSVC_A_REQ_FLAGS with KSVC_REQ_F_BACKENDS (also dump
 *   backends with their counters).
 *   Each service comes back as one message with KSVC_A_SVC_NAME, _PROTO,
 *   _PORT, _NODE_PORT (when set), _SCHED, _FLAGS, _GENERATION, _FRONTENDS,
 *   _BACKEND_COUNT, _STATS, _AFFINITY, _SOURCE_RANGES (when set) and, when
 *   asked for, as many members of KSVC_A_SVC_BACKENDS as fit. The remaining backends follow in
 *   continuation messages that hold only KSVC_A_SVC_NAME and
 *   KSVC_A_SVC_BACKENDS; a client concatenates the backends of consecutive
 *   messages with the same name. A dump that saw the tables change has
 *   NLM_F_DUMP_INTR set on a message (or on NLMSG_DONE): the client must
 *   discard what it got and dump again. A service's first message takes
 *   up to about 5.6 KB, so parts may be that large from the first one on:
 *   read with a buffer of at least 8 KiB, as netlink asks.
 *
 * KSVC_CMD_BE_REPLACE: replace the backend set of a service.
 *   Needs KSVC_A_SVC_NAME and KSVC_A_SVC_BACKENDS (an empty nest gives an
 *   empty set: new connections are refused). A set larger than one message
 *   is sent in several: every message but the last has KSVC_REQ_F_MORE in
 *   KSVC_A_REQ_FLAGS, every message but the first has KSVC_REQ_F_CONTINUE.
 *   The kernel stages the parts and swaps the whole set in when the message
 *   without KSVC_REQ_F_MORE arrives. A message without KSVC_REQ_F_CONTINUE
 *   discards any staged parts; KSVC_REQ_F_CONTINUE with nothing staged is
 *   -EINVAL. Parts are staged per service and per sending socket (netlink
 *   port id): a CONTINUE from another socket finds nothing staged. A
 *   refused part ends its request: the parts staged for it are discarded,
 *   and the client starts over with a first part (a refused first part
 *   leaves what was staged before as it was). Duplicate (address, port) in
 *   a set is -EEXIST.
 *   Counters of backends that stay in the set are kept.
 *
 * KSVC_CMD_BE_ADD: add one backend. Needs KSVC_A_SVC_NAME and
 *   KSVC_A_SVC_BACKENDS with exactly one member. -EEXIST if present.
 *
 * KSVC_CMD_BE_DEL: remove one backend, identified by family, address and port
 *   (weight ignored). Needs KSVC_A_SVC_NAME and KSVC_A_SVC_BACKENDS with
 *   exactly one member. -ENOENT if absent. Its established connections carry
 *   on.
 *
 * KSVC_CMD_FLUSH: delete every service of the namespace. No attributes.
 *
 * KSVC_CMD_CT_CLEANUP: do the conntrack cleanup that the commands sent with
 *   KSVC_REQ_F_DEFER_CT left (see above), now, before the ack. No
 *   attributes. SVC_NEW, SVC_SET, SVC_DEL, BE_REPLACE, BE_ADD and BE_DEL
 *   take KSVC_A_REQ_FLAGS with KSVC_REQ_F_DEFER_CT.
 *
 * KSVC_CMD_CFG_GET: get the namespace's configuration (doit).
 *   Reply: KSVC_A_CFG_CLUSTER_CIDRS, KSVC_A_CFG_MASQUERADE_ALL,
 *   KSVC_A_CFG_NODEPORT_LOCALHOST, KSVC_A_CFG_NODEPORT_CIDRS,
 *   KSVC_A_CFG_SERVICES (count, read only),
 *   KSVC_A_CFG_HOOKED (1 while the NAT hooks are registered, read only:
 *   from the first service until the last one is gone and conntrack holds
 *   no connection in the namespace whose destination was translated, so
 *   that those carry on; looked at again every 5 s while some remain),
 *   KSVC_A_STATS (namespace totals, including KSVC_STATS_A_REJECTS),
 *   KSVC_A_CFG_AFFINITY_MAX, KSVC_A_CFG_AFFINITY_ENTRIES (read only: the
 *   session affinity bindings held now, expired ones not yet reaped
 *   included), KSVC_A_CFG_MEMORY (read only: bytes the namespace's
 *   services hold as the allocators hold them: the hash tables' buckets,
 *   each service with its frontends, node ports, source ranges, backend
 *   set, staged backends and counters, their per-CPU parts included; not
 *   the affinity bindings, nor conntrack's entries).
 *
 * KSVC_CMD_CFG_SET: set configuration. Any of KSVC_A_CFG_CLUSTER_CIDRS
 *   (replaces the list; an empty nest clears it), KSVC_A_CFG_MASQUERADE_ALL,
 *   KSVC_A_CFG_NODEPORT_LOCALHOST, KSVC_A_CFG_AFFINITY_MAX,
 *   KSVC_A_CFG_NODEPORT_CIDRS (replaces the list; an empty nest clears it).
 *   MASQUERADE_ALL, NODEPORT_LOCALHOST and AFFINITY_MAX are the same
 *   values as the sysctls net.kservice.masquerade_all,
 *   net.kservice.nodeport_localhost and net.kservice.affinity_max.
 *   Outside the initial user namespace AFFINITY_MAX may be lowered, not
 *   raised: a higher value gets -EPERM and an extack message.
 *
 * KSVC_A_CFG_NODEPORT_CIDRS: kube-proxy's --nodeport-addresses. With none
 *   (the default) a node port answers on every local address of the node
 *   (127.0.0.0/8 only with nodeport_localhost, ::1 never). Otherwise, per
 *   family, on the local addresses inside one of the list's CIDRs of that
 *   family; a family the list has no CIDR of keeps every local address. A
 *   packet to a node port on another address is not translated and goes on
 *   as it is.
 *   At most KSVC_CIDRS_MAX.
 *
 * Nested attributes
 * -----------------
 * KSVC_A_SVC_FRONTENDS: list of nests, each:
 *   KSVC_FE_A_KIND    u8  enum ksvc_fe_kind (required)
 *   KSVC_FE_A_FAMILY  u16 AF_INET or AF_INET6 (required)
 *   KSVC_FE_A_ADDR    binary, 4 or 16 bytes (required)
 *
 * KSVC_A_SVC_BACKENDS: list of nests, each:
 *   KSVC_BE_A_FAMILY  u16 AF_INET or AF_INET6 (required)
 *   KSVC_BE_A_ADDR    binary, 4 or 16 bytes (required)
 *   KSVC_BE_A_PORT    u16 1..65535 (required)
 *   KSVC_BE_A_WEIGHT  u32 0..KSVC_WEIGHT_MAX (default KSVC_WEIGHT_DEFAULT;
 *                     0 drains: no new connections, existing ones carry on)
 *   KSVC_BE_A_FLAGS   u32 enum ksvc_be_flags mask (default 0)
 *   KSVC_BE_A_STATS   nest of KSVC_STATS_A_* (dumps only)
 *
 * KSVC_A_SVC_STATS, KSVC_BE_A_STATS, KSVC_A_STATS: nests of
 *   KSVC_STATS_A_CONNS    u64 connections scheduled (only grows)
 *   KSVC_STATS_A_PACKETS  u64 packets, both directions, of the connections
 *                         conntrack holds when the dump or request starts
 *                         (its accounting, summed by one walk; falls as
 *                         connections end)
 *   KSVC_STATS_A_BYTES    u64 bytes (IP length), likewise
 *   KSVC_STATS_A_REJECTS  u64 new connections refused: no usable backend
 *                         (services and namespace totals only)
 *   KSVC_STATS_A_DROPS    u64 first packets of new connections dropped by
 *                         policy: Local with no local backend, source not
 *                         in the load-balancer source ranges (services and
 *                         namespace totals only)
 *
 * KSVC_A_CFG_CLUSTER_CIDRS, KSVC_A_CFG_NODEPORT_CIDRS,
 * KSVC_A_SVC_SOURCE_RANGES: list of nests, each:
 *   KSVC_CIDR_A_FAMILY    u16 AF_INET or AF_INET6
 *   KSVC_CIDR_A_ADDR      binary, 4 or 16 bytes (host bits must be zero)
 *   KSVC_CIDR_A_PREFIXLEN u8 0..32 or 0..128
 */
#ifndef _UAPI_LINUX_KSERVICE_H
#define _UAPI_LINUX_KSERVICE_H

#define KSVC_GENL_NAME		"kservice"
#define KSVC_GENL_VERSION	1

/* Longest service name, including the terminating NUL. */
#define KSVC_NAME_MAX		256
/* Most frontends one service may have. */
#define KSVC_FRONTENDS_MAX	64
/* Most cluster CIDRs (and node-port CIDRs) a namespace may have. */
#define KSVC_CIDRS_MAX		16
/* Most load-balancer source ranges a service may have. */
#define KSVC_SOURCE_RANGES_MAX	64
#define KSVC_WEIGHT_MAX		65535
#define KSVC_WEIGHT_DEFAULT	1
/* Longest session affinity timeout, and Kubernetes' default (seconds). */
#define KSVC_AFFINITY_TIMEOUT_MAX	86400
#define KSVC_AFFINITY_TIMEOUT_DEFAULT	10800

enum ksvc_cmd {
	KSVC_CMD_UNSPEC,
	KSVC_CMD_SVC_NEW,
	KSVC_CMD_SVC_SET,
	KSVC_CMD_SVC_DEL,
	KSVC_CMD_SVC_GET,
	KSVC_CMD_BE_REPLACE,
	KSVC_CMD_BE_ADD,
	KSVC_CMD_BE_DEL,
	KSVC_CMD_FLUSH,
	KSVC_CMD_CFG_GET,
	KSVC_CMD_CFG_SET,
	KSVC_CMD_CT_CLEANUP,
	__KSVC_CMD_MAX
};

#define KSVC_CMD_MAX (__KSVC_CMD_MAX - 1)

/* Top-level attributes. */
enum ksvc_attr {
	KSVC_A_UNSPEC,
	KSVC_A_SVC_NAME,		/* NUL-terminated string */
	KSVC_A_SVC_PROTO,		/* u8: IPPROTO_TCP, _UDP or _SCTP */
	KSVC_A_SVC_PORT,		/* u16: 1..65535 */
	KSVC_A_SVC_NODE_PORT,		/* u16: 0 = none */
	KSVC_A_SVC_SCHED,		/* u8: enum ksvc_sched */
	KSVC_A_SVC_FLAGS,		/* u32: enum ksvc_svc_flags mask */
	KSVC_A_SVC_GENERATION,		/* u64: opaque, for the caller */
	KSVC_A_SVC_FRONTENDS,		/* nest: list of KSVC_FE_A_* */
	KSVC_A_SVC_BACKENDS,		/* nest: list of KSVC_BE_A_* */
	KSVC_A_SVC_BACKEND_COUNT,	/* u32: size of the set (dumps) */
	KSVC_A_SVC_STATS,		/* nest: KSVC_STATS_A_* (dumps) */
	KSVC_A_REQ_FLAGS,		/* u32: enum ksvc_req_flags mask */
	KSVC_A_CFG_CLUSTER_CIDRS,	/* nest: list of KSVC_CIDR_A_* */
	KSVC_A_CFG_MASQUERADE_ALL,	/* u8: 0 or 1 */
	KSVC_A_CFG_NODEPORT_LOCALHOST,	/* u8: 0 or 1 */
	KSVC_A_CFG_SERVICES,		/* u32: services in the namespace */
	KSVC_A_CFG_HOOKED,		/* u8: NAT hooks registered */
	KSVC_A_STATS,			/* nest: namespace totals */
	KSVC_A_PAD,
	KSVC_A_SVC_AFFINITY,		/* u32: ClientIP affinity timeout in
					 * seconds, 0..KSVC_AFFINITY_TIMEOUT_MAX;
					 * 0 (the default): none
					 */
	KSVC_A_CFG_AFFINITY_MAX,	/* u32: most affinity bindings, 0..INT_MAX */
	KSVC_A_CFG_AFFINITY_ENTRIES,	/* u32: affinity bindings held (read only) */
	KSVC_A_SVC_SOURCE_RANGES,	/* nest: list of KSVC_CIDR_A_* */
	KSVC_A_CFG_NODEPORT_CIDRS,	/* nest: list of KSVC_CIDR_A_* */
	KSVC_A_CFG_MEMORY,		/* u64: bytes the services hold (read only) */
	__KSVC_A_LAST
};

#define KSVC_A_MAX (__KSVC_A_LAST - 1)

enum ksvc_fe_attr {
	KSVC_FE_A_UNSPEC,
	KSVC_FE_A_KIND,			/* u8: enum ksvc_fe_kind */
	KSVC_FE_A_FAMILY,		/* u16: AF_INET or AF_INET6 */
	KSVC_FE_A_ADDR,			/* binary: 4 or 16 bytes */
	__KSVC_FE_A_LAST
};

#define KSVC_FE_A_MAX (__KSVC_FE_A_LAST - 1)

enum ksvc_be_attr {
	KSVC_BE_A_UNSPEC,
	KSVC_BE_A_FAMILY,		/* u16: AF_INET or AF_INET6 */
	KSVC_BE_A_ADDR,			/* binary: 4 or 16 bytes */
	KSVC_BE_A_PORT,			/* u16: 1..65535 */
	KSVC_BE_A_WEIGHT,		/* u32: 0..KSVC_WEIGHT_MAX */
	KSVC_BE_A_FLAGS,		/* u32: enum ksvc_be_flags mask */
	KSVC_BE_A_STATS,		/* nest: KSVC_STATS_A_* (dumps) */
	KSVC_BE_A_PAD,
	__KSVC_BE_A_LAST
};

#define KSVC_BE_A_MAX (__KSVC_BE_A_LAST - 1)

enum ksvc_stats_attr {
	KSVC_STATS_A_UNSPEC,
	KSVC_STATS_A_CONNS,		/* u64 */
	KSVC_STATS_A_PACKETS,		/* u64 */
	KSVC_STATS_A_BYTES,		/* u64 */
	KSVC_STATS_A_REJECTS,		/* u64 */
	KSVC_STATS_A_PAD,
	KSVC_STATS_A_DROPS,		/* u64 */
	__KSVC_STATS_A_LAST
};

#define KSVC_STATS_A_MAX (__KSVC_STATS_A_LAST - 1)

enum ksvc_cidr_attr {
	KSVC_CIDR_A_UNSPEC,
	KSVC_CIDR_A_FAMILY,		/* u16: AF_INET or AF_INET6 */
	KSVC_CIDR_A_ADDR,		/* binary: 4 or 16 bytes */
	KSVC_CIDR_A_PREFIXLEN,		/* u8 */
	__KSVC_CIDR_A_LAST
};

#define KSVC_CIDR_A_MAX (__KSVC_CIDR_A_LAST - 1)

enum ksvc_fe_kind {
	KSVC_FE_CLUSTER_IP = 1,		/* spec.clusterIPs */
	KSVC_FE_EXTERNAL_IP,		/* spec.externalIPs */
	KSVC_FE_LOAD_BALANCER_IP,	/* status.loadBalancer.ingress[].ip */
	__KSVC_FE_KIND_LAST
};

#define KSVC_FE_KIND_MAX (__KSVC_FE_KIND_LAST - 1)

enum ksvc_sched {
	KSVC_SCHED_RANDOM,		/* weighted random (the default) */
	KSVC_SCHED_RR,			/* weighted round-robin */
	KSVC_SCHED_MAGLEV,		/* Maglev consistent hashing, weighted */
	__KSVC_SCHED_LAST
};

#define KSVC_SCHED_MAX (__KSVC_SCHED_LAST - 1)

/* Service flags; unknown bits are rejected. */
enum ksvc_svc_flags {
	/* externalTrafficPolicy: Local */
	KSVC_SVC_F_EXTERNAL_LOCAL = 1U << 0,
	/* internalTrafficPolicy: Local */
	KSVC_SVC_F_INTERNAL_LOCAL = 1U << 1,
	__KSVC_SVC_F_ALL = KSVC_SVC_F_EXTERNAL_LOCAL | KSVC_SVC_F_INTERNAL_LOCAL
};

/*
 * Backend flags; unknown bits are rejected. READY, SERVING and TERMINATING
 * are the EndpointSlice conditions (none of them set: ready).
 */
enum ksvc_be_flags {
	KSVC_BE_F_LOCAL = 1U << 0,	/* on this node */
	KSVC_BE_F_READY = 1U << 1,
	KSVC_BE_F_SERVING = 1U << 2,
	KSVC_BE_F_TERMINATING = 1U << 3,
	__KSVC_BE_F_ALL = KSVC_BE_F_LOCAL | KSVC_BE_F_READY |
			  KSVC_BE_F_SERVING | KSVC_BE_F_TERMINATING
};

enum ksvc_req_flags {
	KSVC_REQ_F_BACKENDS = 1U << 0,	/* SVC_GET: include backends */
	KSVC_REQ_F_MORE = 1U << 1,	/* BE_REPLACE: more parts follow */
	KSVC_REQ_F_CONTINUE = 1U << 2,	/* BE_REPLACE: continues staged parts */
	KSVC_REQ_F_DEFER_CT = 1U << 3,	/* changes: conntrack cleanup later */
	__KSVC_REQ_F_ALL = KSVC_REQ_F_BACKENDS | KSVC_REQ_F_MORE |
			   KSVC_REQ_F_CONTINUE | KSVC_REQ_F_DEFER_CT
};

#endif /* _UAPI_LINUX_KSERVICE_H */
