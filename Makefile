# SPDX-License-Identifier: GPL-2.0
#
# kservice: kservice.ko (kmod/), ksctl and kserviced (daemon/), and their tests.
#
#   make              build the module and the tools
#   make demo         set up, boot a VM, load the module, walk through the tutorial
#   make check        set up and run every test (unit, fuzz, KUnit, VM end to end,
#                     the bench harness, DKMS)
#   make bench        kservice against kube-proxy's iptables, nftables and IPVS
#                     in the VM: docs/bench/ and README.md's Benchmarks section
#                     (BENCH_N="100 1000" for a quicker run), then bench-dns
#   make bench-dns    the cluster DNS at 20,000 EndpointSlices, in-process (no VM):
#                     queries per second, latency between full passes
#   make install      install the module (then depmod) and the tools
#   make dkms-install install the module through DKMS
#   make style        checkpatch over the kernel code
#   make sparse       sparse over the kernel code

include config.mk

KVER ?= $(KVER_PINNED)
KDIR ?= /lib/modules/$(KVER)/build
ifeq ($(wildcard $(KDIR)/Makefile),)
KDIR := /usr/src/linux-headers-$(KVER)
endif
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(CURDIR)/dkms.conf)
PREFIX ?= /usr/local
DESTDIR ?=
CHECKPATCH ?= $(firstword $(wildcard $(KDIR)/scripts/checkpatch.pl) \
	$(KSVC_CACHE)/linux-source-6.1/scripts/checkpatch.pl)

KSRC := Kbuild Makefile config.mk dkms.conf $(wildcard kmod/*.[ch] kmod/objs.mk) \
	uapi/linux/kservice.h

all: module tools

# A missing or mismatched headers package is a clear error, not a cryptic
# kbuild failure.
headers-check:
	@if [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "kservice: no kernel headers for $(KVER) in $(KDIR):" \
		     "apt-get install linux-headers-$(KVER)" >&2; exit 1; fi
	@rel=$$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' \
		"$(KDIR)/include/generated/utsrelease.h" 2>/dev/null); \
	if [ "$$rel" != "$(KVER)" ]; then \
		echo "kservice: $(KDIR) holds headers for '$$rel', not $(KVER)" >&2; \
		exit 1; fi

module: headers-check
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

kservice.ko: module

# kservice.ko for the VM's debug kernel (tests/e2e/debug-kernel.sh: KASAN,
# lockdep, PROVE_RCU, DEBUG_ATOMIC_SLEEP, kmemleak; built once and cached),
# in build/debug, apart from the plain build's objects.
module-debug:
	tests/e2e/debug-kernel.sh module $(CURDIR)/build/debug >/dev/null

tools:
	$(MAKE) -C daemon

module-install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=extra modules_install
	depmod -a $(KVER)

install: module-install
	$(MAKE) -C daemon install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

dkms-install: headers-check
	rm -rf /usr/src/kservice-$(VERSION)
	mkdir -p /usr/src/kservice-$(VERSION)
	cp --parents $(KSRC) /usr/src/kservice-$(VERSION)/
	dkms add kservice/$(VERSION)
	dkms build kservice/$(VERSION) -k $(KVER)
	dkms install kservice/$(VERSION) -k $(KVER) --force

dkms-uninstall:
	-dkms remove kservice/$(VERSION) --all
	rm -rf /usr/src/kservice-$(VERSION)

clean-module:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean

clean: clean-module
	$(MAKE) -C daemon clean
	rm -rf build

# checkpatch comes from Debian's kernel source, unpacked into the cache by
# the KUnit runner.
style:
	@[ -f "$(CHECKPATCH)" ] || env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS tests/kunit/run.sh prepare
	$(CHECKPATCH) --no-tree --terse --strict --show-types \
		--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES,CONCATENATED_STRING \
		-f $(wildcard kmod/*.[ch] kmod/tests/*.c) uapi/linux/kservice.h

sparse: headers-check
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 CF="-D__CHECK_ENDIAN__" modules

deps:
	sh scripts/deps.sh

# --- tests -----------------------------------------------------------------

# The VM's debug kernel (tests/e2e/debug-kernel.sh) is built once and
# cached. When it is not, its build starts first, in the background at low
# priority, so that it takes the cores the unit tests, the fuzzer and style
# leave idle; check-e2e waits for it (the build's lock) and fails if it
# failed (build/debug-kernel.log).
check: deps
	@tests/e2e/debug-kernel.sh dir >/dev/null 2>&1 || { \
		mkdir -p build; \
		echo "check: the VM's debug kernel is not cached: building it in the background (build/debug-kernel.log)"; \
		setsid nice -n 10 tests/e2e/debug-kernel.sh build \
			>build/debug-kernel.log 2>&1 </dev/null & }
	$(MAKE) check-unit
	$(MAKE) check-fuzz
	$(MAKE) style
	$(MAKE) check-kunit
	$(MAKE) check-e2e
	$(MAKE) check-bench
	$(MAKE) check-dkms
	@echo "kservice: all tests passed"

# The suites, then those that run the daemon's loop again while stopped
# at random for 100-500 ms (tests/unit/stall.sh): none waits for a
# wall-clock window.
check-unit:
	$(MAKE) -C daemon check
	$(MAKE) -C daemon check-stalled

# kserviced's inputs under libFuzzer (ASan, UBSan): the cluster DNS's
# queries, and watch streams, API objects, kubeconfig, --config and
# manifests; bounded (tests/fuzz/README.md).
check-fuzz:
	$(MAKE) -C daemon check-fuzz

# ktap_check.py, which judges the KUnit logs, first shows on planted logs
# (tests/kunit/fixtures/) that it fails them; then the kernel runs.
check-kunit:
	python3 tests/kunit/ktap_check_test.py
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS tests/kunit/run.sh all

# The harness first: its passes below mean something only if it fails the
# runs it should (check-harness). The scenarios that drive the module's
# hooks, conntrack and namespace paths, netns.sh and apiserver.sh, run on
# the VM's debug kernel (KASAN, lockdep, PROVE_RCU, DEBUG_ATOMIC_SLEEP;
# kmemleak scanned after each scenario); the tutorial (check-demo), the
# benchmark and DKMS on Debian's plain kernel, the one nodes run. Some
# scenarios run on the plain kernel instead: unprivileged_affinity_bounded,
# whose unprivileged user's 22,000 sources take minutes through KASAN under
# emulation (the same binding path runs on the debug kernel in
# session_affinity and in KUnit); and those with other users of conntrack
# beside kservice's connections (netns.sh, 17f), which need what the debug
# kernel is built without (debug-kernel.config): nf_tables, the FTP helper,
# the CT target, flowtables (ctnetlink_created_entry needs only ctnetlink,
# but goes with them).
# netns.sh on the debug kernel takes about 25 min on two idle cores and
# twice that beside a CPU hog: its timeout is there to catch a hang.
E2E_PLAIN_ONLY := unprivileged_affinity_bounded ftp_through_clusterip \
	raw_ct_helper_first flowtable_offload ctnetlink_created_entry
check-e2e: module module-debug tools
	$(MAKE) check-harness
	tests/e2e/vm.sh --kernel debug --ko $(CURDIR)/build/debug/kservice.ko \
		--script tests/e2e/netns.sh --timeout 3600 \
		-- $(addprefix -,$(E2E_PLAIN_ONLY))
	tests/e2e/vm.sh --ko $(CURDIR)/kservice.ko --script tests/e2e/netns.sh \
		-- $(E2E_PLAIN_ONLY)
	tests/e2e/vm.sh --kernel debug --ko $(CURDIR)/build/debug/kservice.ko \
		--script tests/e2e/apiserver.sh --timeout 1800
	$(MAKE) check-demo

# The same two scripts on the plain kernel: quicker, for a change's first
# runs (not part of check, which runs them on the debug kernel).
check-e2e-plain: module tools
	tests/e2e/vm.sh --ko $(CURDIR)/kservice.ko --script tests/e2e/netns.sh
	tests/e2e/vm.sh --ko $(CURDIR)/kservice.ko --script tests/e2e/apiserver.sh

# The README's demo is a test too: it is tutorial.sh told for a person (the
# same steps, the same checks, plus the story), so check-e2e runs it in
# that form and the README's first command is tested as it is typed.
check-demo: module tools
	tests/e2e/vm.sh --ko $(CURDIR)/kservice.ko --script tests/e2e/demo.sh

# The harness's self-test: vm.sh fails a run for each planted fault
# (tests/e2e/faults/selftest.sh), and passes a clean one, on both kernels;
# on the debug kernel also the faults only it reports (KASAN, lockdep,
# atomic sleep, RCU, kmemleak after the script and after a scenario).
check-harness:
	$(MAKE) -C tests/e2e selftest
	$(MAKE) -C tests/e2e/faults debug
	tests/e2e/faults/selftest.sh --kernel debug clean leak leak_scenario \
		uaf lock_order sleep_atomic rcu

# The module DKMS built, by its path, loaded in the VM with traffic, then
# uninstalled; first, that the check fails on planted stand-ins
# (tests/e2e/dkms-check.sh).
check-dkms: module tools
	KVER=$(KVER) tests/e2e/dkms-check.sh --selftest
	KVER=$(KVER) tests/e2e/dkms-check.sh

# The benchmark. Absolute figures are an emulated CPU's; the ratios between
# the four ways in one run are the result (docs/bench/summary.md).
BENCH_N ?= 100 1000 10000 50000
BENCH_ARGS ?= --secs 5 --lat-secs 3 --warmup 1 --reps 3 --change-reps 3 \
	      --mode-timeout 900

bench: deps module tools
	$(MAKE) -C tests/bench
	tests/bench/run.sh --n "$(BENCH_N)" --docs docs/bench --readme README.md \
		-- $(BENCH_ARGS)
	$(MAKE) bench-dns

# The cluster DNS's own benchmark (tests/bench/dnsbench.c), on the host.
bench-dns:
	$(MAKE) -C daemon bench

# The harness works: every way programs, every connection reaches one of
# its service's endpoints; the DNS benchmark's answers are right. No
# timing is judged.
check-bench: module tools
	$(MAKE) -C daemon check-bench
	$(MAKE) -C tests/bench
	tests/bench/run.sh --n 100 --mem 2048 --timeout 900 --check -- \
		--secs 1 --lat-secs 1 --warmup 0.5 --reps 1 --change-reps 1

demo: deps module tools
	tests/e2e/vm.sh --ko $(CURDIR)/kservice.ko --script tests/e2e/demo.sh

.PHONY: all module module-debug check-e2e-plain tools headers-check module-install install dkms-install \
	dkms-uninstall clean-module clean style sparse deps check check-unit check-fuzz \
	check-kunit check-e2e check-harness check-demo check-dkms demo bench bench-dns check-bench
