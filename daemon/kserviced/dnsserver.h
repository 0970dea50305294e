/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cluster DNS server: dns.c's answers over UDP and TCP on one address
 * and port, on the daemon's loop, non-blocking, no thread.
 *
 * UDP: each datagram a query, answered at once (a reply that cannot be
 * sent now is dropped: the client asks again). TCP (RFC 7766): messages
 * framed by a 2-byte length, several per connection, answered in order,
 * read and written as the socket allows (a frame may come in pieces, a
 * reply may go out in pieces; while replies wait, no more is read). A
 * connection idle for KSD_DNS_TCP_IDLE_MS is closed, and so is one over
 * KSD_DNS_TCP_CONNS_MAX at once, or over KSD_DNS_TCP_CONNS_PER_CLIENT
 * from one address: a client with many idle or slow connections cannot
 * keep the others out.
 */
#ifndef KSD_DNSSERVER_H
#define KSD_DNSSERVER_H

#include <stdint.h>

#include "dns.h"
#include "loop.h"

#define KSD_DNS_PORT		53
#define KSD_DNS_TCP_CONNS_MAX	128
#define KSD_DNS_TCP_CONNS_PER_CLIENT 16
#define KSD_DNS_TCP_IDLE_MS	10000

struct ksd_dns_server;

/* Listens on bind ("IP:PORT", "[IPv6]:PORT", an IP alone for port 53;
 * port 0 takes an ephemeral one, the same for both) and answers with dns.
 * Returns 0 or -errno. */
int ksd_dns_server_start(struct ksd_dns_server **sp, struct ksd_loop *loop,
			 const char *bind, struct ksd_dns *dns);
uint16_t ksd_dns_server_port(const struct ksd_dns_server *s);
/* For tests: the idle timeout. */
void ksd_dns_server_set_idle_ms(struct ksd_dns_server *s, uint64_t ms);
/* Open TCP connections, for tests. */
unsigned int ksd_dns_server_conns(const struct ksd_dns_server *s);
/* Closes the sockets and every connection; NULL is fine. */
void ksd_dns_server_stop(struct ksd_dns_server *s);

#endif /* KSD_DNSSERVER_H */
