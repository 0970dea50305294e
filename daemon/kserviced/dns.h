/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cluster DNS: the answers of the Kubernetes DNS-based service discovery
 * specification for the cluster domain (cluster.local), read from the
 * store the daemon keeps. Messages are parsed and built with ldns.
 *
 *   SVC.NS.svc.ZONE              A/AAAA: the cluster IPs; headless: the
 *                                ready endpoints (none: NXDOMAIN, as the
 *                                spec says); ExternalName: a CNAME,
 *                                followed when it points into the zone
 *   EP.SVC.NS.svc.ZONE           A/AAAA of a headless service's ready
 *                                endpoint: its hostname, else its address
 *                                with '-' for '.' or ':' (10-244-1-11)
 *   _PORT._PROTO.SVC.NS.svc.ZONE SRV of a named port
 *   reverse names of cluster IPs PTR SVC.NS.svc.ZONE; of ready headless
 *                                endpoints EP.SVC.NS.svc.ZONE, EP as above
 *   A-B-C-D.NS.pod.ZONE          A (AAAA: '-' for ':') of the address the
 *                                name spells: the spec's deprecated pod
 *                                records, as CoreDNS's "pods insecure"
 *   ZONE                         SOA, NS (ns.dns.ZONE, with its address
 *                                when the server's is known)
 *   dns-version.ZONE             TXT "1.1.0"
 *
 * Anything else in the zone is NXDOMAIN, or NODATA for a name that exists
 * without the type asked, both with the zone's SOA; a name outside the
 * zone (and not the reverse name of a service's address) is REFUSED.
 * This file is only the question-to-reply function; dnsserver.c carries
 * it over UDP and TCP.
 */
#ifndef KSD_DNS_H
#define KSD_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define KSD_DNS_DOMAIN_DEFAULT	"cluster.local"
/* CoreDNS's kubernetes plugin answers with a TTL of 5 s by default. */
#define KSD_DNS_TTL_DEFAULT	5
#define KSD_DNS_TTL_MAX		3600
/* Largest UDP reply: without EDNS RFC 1035's 512; with EDNS the client's
 * size, at most the DNS flag day 2020's 1232 (no IP fragmentation). */
#define KSD_DNS_UDP_MIN		512
#define KSD_DNS_UDP_MAX		1232
/* The spec's schema version (dns-version.ZONE). */
#define KSD_DNS_SCHEMA_VERSION	"1.1.0"
/* Responses counted by rcode: 0..15, and 16 for BADVERS. */
#define KSD_DNS_RCODES		17

struct ldns_struct_rdf;

struct ksd_dns {
	struct ldns_struct_rdf *zone;	/* lowercase, absolute */
	struct ldns_struct_rdf *mname;	/* ns.dns.ZONE */
	struct ldns_struct_rdf *rname;	/* hostmaster.ZONE */
	uint32_t ttl;
	const struct ksd_store *store;
	/* The server's own address, when it is a specific one: the A or
	 * AAAA of ns.dns.ZONE (the SOA's and NS's name), as CoreDNS gives
	 * its service's. */
	struct ksvc_addr ns_addr;
	bool has_ns_addr;
	/* Until it says yes (the source has its first full state), names
	 * of the zone are SERVFAIL: never a false NXDOMAIN. NULL: ready. */
	bool (*ready)(void *arg);
	void *ready_arg;
	uint64_t responses[KSD_DNS_RCODES];
	uint64_t dropped;		/* not a query: no reply */
	bool warned;			/* a malformed query was logged */
};

/* domain: the cluster domain ("cluster.local", a trailing dot or not).
 * Returns 0, or -EINVAL when it is not a domain name. */
int ksd_dns_init(struct ksd_dns *dns, const char *domain, uint32_t ttl,
		 const struct ksd_store *store);
void ksd_dns_release(struct ksd_dns *dns);

/*
 * Answers the message q[0..qlen): *reply (malloc'ed, the caller frees)
 * and its length, at most 65535 over TCP, over UDP 512 or the client's
 * EDNS size (capped at KSD_DNS_UDP_MAX), else truncated (TC, with the
 * whole answers that fit). Returns 0,
 * -EINVAL when nothing is to be sent back (shorter than a header, or a
 * response), -ENOMEM.
 */
int ksd_dns_answer(struct ksd_dns *dns, const uint8_t *q, size_t qlen,
		   bool tcp, uint8_t **reply, size_t *rlen);

/* "NOERROR", "NXDOMAIN", ... for the metrics; NULL for one never sent. */
const char *ksd_dns_rcode_name(unsigned int rcode);

#endif /* KSD_DNS_H */
