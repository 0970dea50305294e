# The one place that pins the kernel kservice is built and tested against.
# Debian's ABI name: linux-image-$(KVER) and linux-headers-$(KVER).
KVER_PINNED := 6.1.0-56-amd64
# Where downloads and builds are cached between runs on one machine.
KSVC_CACHE ?= /var/cache/kservice
