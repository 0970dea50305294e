/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kservice.ko's service table behind the fake kernel (fake_kernel.c), for
 * the daemon's tests: every request is checked as the module would
 * (kpolicy.c), then applied to an in-memory table with the module's rules
 * (unique names and frontends, -ENOENT for what is not there, SVC_SET
 * replacing only what it carries, BE_REPLACE in parts), and dumps come
 * back from that table.
 */
#ifndef FAKE_TABLE_H
#define FAKE_TABLE_H

#include "fake_kernel.h"

struct fake_table {
	struct ksvc_service_list svcs;
	struct ksvc_config cfg;
	unsigned int cmds[KSVC_CMD_MAX + 1];	/* requests by command */
	/* An error to answer the next request of command fail_cmd for
	 * service fail_name (any when NULL) with, once. */
	uint8_t fail_cmd;
	const char *fail_name;
	int fail_errno;
};

extern struct fake_table ftab;

/* fake_reset() with the table as the kernel. */
void fake_table_reset(void);
void fake_table_release(void);
/* Puts a service in the table as if it had been created. */
void fake_table_add(const struct ksvc_service *svc);
struct ksvc_service *fake_table_find(const char *name);
/* Requests sent since the reset, not counting dumps, CFG_GET and
 * CT_CLEANUP (which change nothing in the table). */
unsigned int fake_table_writes(void);

#endif /* FAKE_TABLE_H */
