# SPDX-License-Identifier: GPL-2.0
# The objects of kservice.ko, relative to kmod/: ../Kbuild (out of tree) and
# Makefile (in a kernel tree, as net/kservice) both build from these lists.
KSVC_OBJS := main.o net.o table.o sched.o nat.o reject.o netlink.o sysctl.o \
	     stats.o affinity.o
# KUnit suites, linked in only with CONFIG_KSERVICE_KUNIT_TEST (in-tree).
KSVC_TEST_OBJS := tests/table_test.o tests/sched_test.o tests/nat_test.o \
		  tests/netlink_test.o tests/fuzz_test.o
