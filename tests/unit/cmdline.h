/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running ksctl inside a test: a command line from a string, the program
 * over the fake kernel, its stdout and stderr caught.
 */
#ifndef CMDLINE_H
#define CMDLINE_H

#include "ksctl.h"

#define ARGS_MAX	64

struct cmdline {
	int argc;
	char *argv[ARGS_MAX + 1];
	char buf[4096];
};

/* Splits line on spaces after a leading "ksctl"; '' is an empty word and
 * \t a tab. */
void cmdline_split(struct cmdline *c, const char *line);

struct ksctl_run {
	int status;
	char *out;		/* all of stdout, malloc()ed */
	char *err;		/* all of stderr, malloc()ed */
};

/* ksctl_main() over the fake kernel; release with ksctl_run_free(). */
void ksctl_run(struct ksctl_run *r, const char *line);
/* The same with input as its stdin. */
void ksctl_run_input(struct ksctl_run *r, const char *line, const char *input);
void ksctl_run_free(struct ksctl_run *r);

#endif /* CMDLINE_H */
