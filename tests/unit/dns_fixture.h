/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The objects the cluster DNS tests and fuzz target answer from: a
 * ClusterIP service with a named port, a dual-stack one, a headless one
 * with a hostname, an address-named and a not-ready endpoint (IPv4 and
 * IPv6 slices, one endpoint with two addresses), ExternalNames (out of
 * the zone, into it, to a name it lacks, two in a loop), a
 * headless one with 40 endpoints (more than 512 bytes of answers, less
 * than 1232), one with 8 and a named port (its SRV answer fits in 512
 * bytes, not with the additional records), and one without endpoints.
 */
#ifndef DNS_FIXTURE_H
#define DNS_FIXTURE_H

#include "store.h"

#define DNS_FIXTURE_BIG	40
#define DNS_FIXTURE_MID	8

/* Fills st; returns 0, or -EINVAL with why (KSD_WHY_MAX) written. */
int dns_fixture_load(struct ksd_store *st, char *why);

#endif /* DNS_FIXTURE_H */
