/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kserviced's log: one line per event to stderr, prefixed with the level;
 * control characters in it (from the objects' names) are written as '?'.
 * -v LEVEL sets how much is said, as kube-proxy's klog: 0 errors, warnings
 * and what changes in the kernel; 2 each object skipped and why; 4 every
 * sync step; higher, everything.
 */
#ifndef KSD_LOG_H
#define KSD_LOG_H

#include <stdarg.h>

enum ksd_log_level {
	KSD_LOG_ERR = -2,
	KSD_LOG_WARN = -1,
	KSD_LOG_INFO = 0,
	KSD_LOG_V2 = 2,
	KSD_LOG_V4 = 4,
};

/* Messages at level <= verbosity are written (errors and warnings always). */
void ksd_log_set_verbosity(int level);
int ksd_log_verbosity(void);

/* Where lines go instead of stderr, for tests; NULL restores stderr. */
typedef void (*ksd_log_sink)(int level, const char *line, void *arg);
void ksd_log_set_sink(ksd_log_sink sink, void *arg);

void ksd_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define ksd_err(...)	ksd_log(KSD_LOG_ERR, __VA_ARGS__)
#define ksd_warn(...)	ksd_log(KSD_LOG_WARN, __VA_ARGS__)
#define ksd_info(...)	ksd_log(KSD_LOG_INFO, __VA_ARGS__)

#endif /* KSD_LOG_H */
