/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Programming the kernel: the desired services (the model) against what
 * kservice.ko holds, sending only what differs.
 *
 * A full pass dumps the kernel, then marks: every desired service is
 * created, changed (SVC_SET of the fields that differ, BE_REPLACE when
 * only the backends do) or, if it is already right, just given the pass's
 * generation. Then it sweeps: what still has an older generation and is
 * not a desired service whose update failed is deleted. Nothing is ever
 * flushed, so a restart or a relist leaves every established connection
 * and UDP flow of an unchanged service alone. A creation or change that
 * collides with a frontend still held by a service the sweep deletes is
 * tried again after the sweep.
 *
 * A pass of changes works from what the last passes left in the kernel
 * (kept in memory), without a dump: deletions first, so their frontends
 * are free, then creations and changes, with the current generation; one
 * that meets a frontend another change of the pass is still to free (an
 * address handed from one service to another) is tried again at the end.
 *
 * A service that fails is logged and left as it was (its old state stays
 * in the kernel and in memory), so that the next pass tries it again; the
 * pass goes on with the others. A service the kernel refuses for what it
 * is (a value, its size: the same request would fail again) does not fail
 * the pass: one bad object must not make the node look unhealthy. It is
 * tried again by the next pass that has it differ, full passes included.
 *
 * Each pass is one batch of changes (ksvc_batch_begin(), see ksvc.h): its
 * requests leave the conntrack cleanup that UDP and SCTP changes need to
 * one KSVC_CMD_CT_CLEANUP at its end, one walk of conntrack's table for
 * the pass instead of one per change; a pass that changes nothing sends
 * none. A failed cleanup is logged; it fails the pass only when the socket
 * broke (the changes are made, and the kernel cleans up by itself a second
 * later).
 */
#ifndef KSD_SYNC_H
#define KSD_SYNC_H

#include "ksvc.h"
#include "model.h"

struct ksd_sync_stats {
	unsigned int created;
	unsigned int updated;		/* SVC_SET */
	unsigned int replaced;		/* only the backends: BE_REPLACE */
	unsigned int marked;		/* only the generation */
	unsigned int deleted;
	unsigned int failed;		/* to be tried again soon */
	unsigned int refused;		/* the object itself; see sync.c */
};

struct ksd_sync {
	/* Opens the handle: ksvc_open, or a fake kernel's in tests. */
	int (*open)(struct ksvc **ksp, struct ksvc_err *err);
	struct ksvc *ks;
	/* What the kernel holds, as far as the passes know; sorted. */
	struct ksvc_service_list known;
	bool need_full;			/* no pass of changes until a full one */
	uint64_t generation;		/* of the last full pass */
	struct ksd_sync_stats last;
};

void ksd_sync_init(struct ksd_sync *s,
		   int (*open)(struct ksvc **ksp, struct ksvc_err *err));
/* Closes the handle; the kernel keeps its state. */
void ksd_sync_release(struct ksd_sync *s);

/*
 * Return 0 when everything is as desired but what the kernel refused
 * (counted in last.refused), -EAGAIN when some services failed (and will
 * be tried again), or the -errno of a failure of the
 * handle itself (the handle is closed and the next pass is a full one).
 * A pass of changes before the first full pass does a full one.
 */
int ksd_sync_full(struct ksd_sync *s, const struct ksd_model *m);
int ksd_sync_changes(struct ksd_sync *s, const struct ksd_model *m);

/* Sets the namespace's configuration (cluster CIDRs, masquerade-all,
 * node-port CIDRs). */
int ksd_sync_config(struct ksd_sync *s, const struct ksvc_config *cfg);
/* --cleanup: deletes every service of the namespace. */
int ksd_sync_cleanup(struct ksd_sync *s);

#endif /* KSD_SYNC_H */
