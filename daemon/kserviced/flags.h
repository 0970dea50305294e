/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kserviced's command line, named after kube-proxy's flags where they mean
 * the same. Messages go to stderr, the usage to stdout for --help.
 */
#ifndef KSD_FLAGS_H
#define KSD_FLAGS_H

#include "daemon.h"

/*
 * Fills o (defaults first). Returns 0, 1 when --help or --version was
 * answered (exit 0), or -EINVAL after saying what was wrong (exit 2).
 * -v sets the log's verbosity.
 */
int ksd_flags_parse(int argc, char **argv, struct ksd_opts *o);

/* A Go duration as kube-proxy takes them: "0", "500ms", "1s", "1m30s",
 * "1.5s", "2h"; units h, m, s, ms, us, ns. Rounded to milliseconds.
 * Returns 0, -EINVAL or -ERANGE. */
int ksd_parse_duration(const char *s, uint64_t *ms);

#endif /* KSD_FLAGS_H */
