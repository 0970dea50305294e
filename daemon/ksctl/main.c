// SPDX-License-Identifier: GPL-2.0
/*
 * ksctl: look at and change kservice.ko's services by hand.
 */
#include "ksctl.h"

int main(int argc, char **argv)
{
	ksctl_env.in = stdin;
	ksctl_env.out = stdout;
	ksctl_env.err = stderr;
	return ksctl_main(argc, argv);
}
