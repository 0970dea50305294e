// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: arbitrary bytes as a DNS message, answered by
 * ksd_dns_answer() (over UDP and over TCP) against the store of the unit
 * tests' fixture (tests/unit/dns_fixture.c). Besides the sanitizers'
 * checks: a reply, when there is one, parses with ldns, echoes the id,
 * is a response, and fits its transport's limit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ldns/ldns.h>

#include "dns.h"
#include "dns_fixture.h"
#include "log.h"

static struct ksd_store st;
/* cluster.local, and a domain so long that some targets cannot be made. */
static struct ksd_dns dns, dns_long;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[KSD_WHY_MAX] = "", dom[229];

	(void)argc;
	(void)argv;
	ksd_store_init(&st);
	if (dns_fixture_load(&st, why) ||
	    ksd_dns_init(&dns, "cluster.local", 5, &st)) {
		fprintf(stderr, "fuzz_dns: fixture: %s\n", why);
		abort();
	}
	memset(dom, 'a', sizeof(dom));
	dom[56] = dom[113] = dom[170] = '.';
	dom[228] = 0;
	if (ksd_dns_init(&dns_long, dom, 5, &st)) {
		fprintf(stderr, "fuzz_dns: fixture: %s\n", why);
		abort();
	}
	return 0;
}

static void check(struct ksd_dns *dns, const uint8_t *q, size_t len,
		  bool tcp)
{
	uint8_t *reply;
	size_t rlen;
	ldns_pkt *r = NULL;

	if (ksd_dns_answer(dns, q, len, tcp, &reply, &rlen))
		return;
	if (rlen > (tcp ? 65535 : KSD_DNS_UDP_MAX) || rlen < 12 ||
	    ldns_wire2pkt(&r, reply, rlen) != LDNS_STATUS_OK ||
	    !ldns_pkt_qr(r) || ldns_pkt_id(r) != (q[0] << 8 | q[1]))
		abort();
	/* Without EDNS, UDP replies stay within 512 bytes. */
	if (!tcp && !ldns_pkt_edns(r) && rlen > 512)
		abort();
	ldns_pkt_free(r);
	free(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Logging once is the daemon's business, not the fuzzer's. */
	dns.warned = dns_long.warned = true;
	check(&dns, data, size, false);
	check(&dns, data, size, true);
	check(&dns_long, data, size, false);
	return 0;
}
