// SPDX-License-Identifier: GPL-2.0
/*
 * The log; see log.h.
 */
#include <stdio.h>

#include "log.h"

static int verbosity;
static ksd_log_sink sink;
static void *sink_arg;

void ksd_log_set_verbosity(int level)
{
	verbosity = level;
}

int ksd_log_verbosity(void)
{
	return verbosity;
}

void ksd_log_set_sink(ksd_log_sink fn, void *arg)
{
	sink = fn;
	sink_arg = arg;
}

static const char *prefix(int level)
{
	switch (level) {
	case KSD_LOG_ERR:
		return "error: ";
	case KSD_LOG_WARN:
		return "warning: ";
	default:
		return "";
	}
}

void ksd_log(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > verbosity)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One line per event whatever the names in it hold: a control
	 * character (a newline in a manifest's name) is written as '?'. */
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (sink)
		sink(level, line, sink_arg);
	else
		fprintf(stderr, "kserviced: %s%s\n", prefix(level), line);
}
