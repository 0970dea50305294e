#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Installs the Debian packages kservice needs to build, test and demo.
# Idempotent and quick when everything is there already.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
kver=$(sed -n 's/^KVER_PINNED *:= *//p' "$here/config.mk")

pkgs="
	make gcc libc6-dev pkg-config
	linux-headers-$kver linux-source-6.1 flex bison bc ccache python3 libelf-dev
	libnl-3-dev libnl-genl-3-dev libcjson-dev libcmocka-dev libyaml-dev libmicrohttpd-dev
	libcurl4-openssl-dev openssl libldns-dev
	clang libclang-rt-14-dev
	qemu-system-x86 busybox-static kmod iproute2 cpio xz-utils
	curl conntrack procps dkms sparse python3-pyftpdlib
	nginx-light bind9-dnsutils
	iptables nftables ipvsadm gnuplot-nox
"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps: run as root (or install sudo)" >&2; exit 1; }
	exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# nginx is only run by the tests, inside the VM, with its own
# configuration. Its package would start the host's nginx on port 80 (and
# fail to install where something else has that port): deny service starts
# for this install, unless the machine has its own policy already.
policy=/usr/sbin/policy-rc.d
if [ ! -e $policy ]; then
	printf '#!/bin/sh\nexit 101\n' >$policy
	chmod 0755 $policy
	trap 'rm -f $policy' EXIT
fi
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
