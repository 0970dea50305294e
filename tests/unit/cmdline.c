// SPDX-License-Identifier: GPL-2.0
/*
 * See cmdline.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "fake_kernel.h"

void cmdline_split(struct cmdline *c, const char *line)
{
	char *p = c->buf, *w;

	snprintf(c->buf, sizeof(c->buf), "ksctl%s%s", *line ? " " : "", line);
	c->argc = 0;
	while ((w = strsep(&p, " ")) && c->argc < ARGS_MAX) {
		char *s, *d;

		if (!strcmp(w, "''"))
			*w = '\0';
		for (s = d = w; *s; s++, d++) {
			if (s[0] == '\\' && s[1] == 't') {
				*d = '\t';
				s++;
			} else {
				*d = *s;
			}
		}
		*d = '\0';
		c->argv[c->argc++] = w;
	}
	c->argv[c->argc] = NULL;
}

void ksctl_run_input(struct ksctl_run *r, const char *line, const char *input)
{
	struct cmdline c;
	size_t olen, elen;

	cmdline_split(&c, line);
	ksctl_env.open = fake_open;
	/* fmemopen() of an empty buffer fails: /dev/null is an empty stdin. */
	ksctl_env.in = *input ? fmemopen((void *)input, strlen(input), "r") :
				fopen("/dev/null", "r");
	ksctl_env.out = open_memstream(&r->out, &olen);
	ksctl_env.err = open_memstream(&r->err, &elen);
	r->status = ksctl_main(c.argc, c.argv);
	fclose(ksctl_env.in);
	fclose(ksctl_env.out);
	fclose(ksctl_env.err);
	ksctl_env.in = ksctl_env.out = ksctl_env.err = NULL;
}

void ksctl_run(struct ksctl_run *r, const char *line)
{
	ksctl_run_input(r, line, "");
}

void ksctl_run_free(struct ksctl_run *r)
{
	free(r->out);
	free(r->err);
}
