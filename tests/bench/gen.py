#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes one set of N services four ways, for tests/bench/bench.sh.

    gen.py N OUTDIR

Service i is "bench/svc-i:http", cluster IP 10.96.(i // 250).(i % 250 + 1),
port 80/TCP, with 2 + i % 9 endpoints (2 to 10) on port 8080. Endpoint j of
service i lives on server pod (i + j) % 4, which owns 10.244.(16 * s).0/20
through a local route, so each pod answers for 4,000 addresses and a
connection's answer (the address it reached) says which endpoint took it.

OUTDIR gets:
  ksctl.txt        `ksctl restore` input: service add + backend replace
  ksctl10.txt      the same services with 10 endpoints each (the 1 s target)
  ksctl-change.txt the change: service 0 gets new endpoints, and
  ksctl-back.txt   back to its own (so is each *-back.txt)
  ipt.txt          iptables-restore input, kube-proxy's iptables layout
  ipt-change.txt   iptables-restore --noflush input for the change, as a
                   partial sync writes it (KUBE-SERVICES whole, the one
                   service's chains)
  nft.txt          nft -f input, kube-proxy's nftables layout
  nft-change.txt   nft -f input for the change
  ipvs.txt         ipvsadm --restore input (rr), and
  ipvs-addrs.txt   ip -batch input: the cluster IPs on kube-ipvs0
  ipvs-change.txt  ipvsadm --restore input for the change
  targets.txt      the services the load generator visits: 64 spread over
                   the table, the last-added included; each line is
                   "VIP PORT EP1,EP2,..." (endpoint addresses)

The layouts follow kube-proxy (pkg/proxy/iptables/proxier.go,
pkg/proxy/nftables/proxier.go, pkg/proxy/ipvs/proxier.go) for a ClusterIP
service with a cluster CIDR set: chain and rule shapes, hashed chain names,
comments, the masquerade mark. The client is inside the cluster CIDR, so no
connection of the benchmark is masqueraded in any mode.
"""
import base64
import hashlib
import os
import sys

CLUSTER_CIDR = "10.244.0.0/16"
SERVICE_CIDR = "10.96.0.0/16"
SERVERS = 4
NS = "bench"
PORT = 80
TARGET_PORT = 8080
TARGETS = 64


def vip(i):
    return "10.96.%d.%d" % (i // 250, i % 250 + 1)


def endpoints(i, count=None):
    n = count if count is not None else 2 + i % 9
    eps = []
    for j in range(n):
        s = (i + j) % SERVERS
        q = (i * 10 + j) % 4000 + 1
        eps.append("10.244.%d.%d" % (16 * s + q // 256, q % 256))
    return eps


def changed_endpoints(i):
    # Every address new: none of endpoints(i)'s, so every chain changes.
    n = 2 + i % 9
    eps = []
    for j in range(n):
        s = (i + j + 1) % SERVERS
        q = (i * 10 + j + 3000) % 4000 + 1
        eps.append("10.244.%d.%d" % (16 * s + q // 256, q % 256))
    return eps


def name(i):
    return "%s/svc-%d:http" % (NS, i)


def hash16(s):
    # kube-proxy's servicePortChainName/portProtoHash: sha256, base32, 16.
    return base64.b32encode(hashlib.sha256(s.encode()).digest()).decode()[:16]


def svc_chain(i):
    return "KUBE-SVC-" + hash16(name(i) + "tcp")


def sep_chain(i, ep):
    return "KUBE-SEP-" + hash16(name(i) + "tcp" + "%s:%d" % (ep, TARGET_PORT))


def write_ksctl(path, n, count=None):
    with open(path, "w") as f:
        for i in range(n):
            f.write("service add %s proto tcp port %d cluster-ip %s\n" %
                    (name(i), PORT, vip(i)))
            f.write("backend replace %s %s\n" % (name(i), " ".join(
                "%s:%d" % (e, TARGET_PORT) for e in endpoints(i, count))))


def ipt_service_rules(out, i, eps):
    c = svc_chain(i)
    out.append('-A KUBE-SVC-%s -m comment --comment "%s cluster IP" -m tcp -p tcp '
               '-d %s/32 --dport %d ! -s %s -j KUBE-MARK-MASQ' %
               (c[9:], name(i), vip(i), PORT, CLUSTER_CIDR))
    for k, e in enumerate(eps):
        left = len(eps) - k
        prob = ("-m statistic --mode random --probability %0.10f " % (1.0 / left)
                if left > 1 else "")
        out.append('-A %s -m comment --comment "%s -> %s:%d" %s-j %s' %
                   (c, name(i), e, TARGET_PORT, prob, sep_chain(i, e)))
    for e in eps:
        s = sep_chain(i, e)
        out.append('-A %s -m comment --comment %s -s %s/32 -j KUBE-MARK-MASQ' %
                   (s, name(i), e))
        out.append('-A %s -m comment --comment %s -m tcp -p tcp -j DNAT '
                   '--to-destination %s:%d' % (s, name(i), e, TARGET_PORT))


def ipt_kube_services(out, n):
    for i in range(n):
        out.append('-A KUBE-SERVICES -m comment --comment "%s cluster IP" -m tcp '
                   '-p tcp -d %s/32 --dport %d -j %s' %
                   (name(i), vip(i), PORT, svc_chain(i)))
    out.append('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; '
               'NOTE: this must be the last rule in this chain" -m addrtype '
               '--dst-type LOCAL -j KUBE-NODEPORTS')


IPT_FILTER = """*filter
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-FIREWALL - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
"""

IPT_NAT_HEAD = """*nat
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
"""


def write_ipt(path, n):
    with open(path, "w") as f:
        f.write(IPT_FILTER)
        f.write(IPT_NAT_HEAD)
        chains = []
        for i in range(n):
            chains.append(":%s - [0:0]" % svc_chain(i))
            chains.extend(":%s - [0:0]" % sep_chain(i, e) for e in endpoints(i))
        f.write("\n".join(chains) + "\n")
        out = []
        ipt_kube_services(out, n)
        for i in range(n):
            ipt_service_rules(out, i, endpoints(i))
        f.write("\n".join(out) + "\nCOMMIT\n")


def write_ipt_change(path, n, old, new):
    # A partial sync: the chains it writes are declared (which flushes
    # them), KUBE-SERVICES in full, the changed service's chains, and the
    # stale endpoint chains deleted.
    i = 0
    with open(path, "w") as f:
        f.write("*nat\n:KUBE-SERVICES - [0:0]\n:%s - [0:0]\n" % svc_chain(i))
        f.write("".join(":%s - [0:0]\n" % sep_chain(i, e) for e in new))
        f.write("".join(":%s - [0:0]\n" % sep_chain(i, e) for e in old))
        out = []
        ipt_kube_services(out, n)
        ipt_service_rules(out, i, new)
        out.extend("-X %s" % sep_chain(i, e) for e in old)
        f.write("\n".join(out) + "\nCOMMIT\n")


def nft_svc_chain(i):
    key = "%s/svc-%d/tcp/http" % (NS, i)
    return "service-%s-%s" % (hash16(name(i) + "tcp")[:8], key)


def nft_ep_chain(i, e):
    key = "%s/svc-%d/tcp/http__%s/%d" % (NS, i, e, TARGET_PORT)
    return "endpoint-%s-%s" % (hash16(name(i) + "tcp" + e)[:8], key)


def nft_service(out, i, eps):
    c = nft_svc_chain(i)
    out.append("add chain ip kube-proxy %s" % c)
    out.append("add rule ip kube-proxy %s ip daddr %s tcp dport %d ip saddr != %s "
               "jump mark-for-masquerade" % (c, vip(i), PORT, CLUSTER_CIDR))
    for e in eps:
        ec = nft_ep_chain(i, e)
        out.append("add chain ip kube-proxy %s" % ec)
        out.append("add rule ip kube-proxy %s ip saddr %s jump mark-for-masquerade" %
                   (ec, e))
        out.append("add rule ip kube-proxy %s meta l4proto tcp dnat to %s:%d" %
                   (ec, e, TARGET_PORT))
    out.append("add rule ip kube-proxy %s numgen random mod %d vmap { %s }" %
               (c, len(eps), ", ".join("%d : goto %s" % (k, nft_ep_chain(i, e))
                                      for k, e in enumerate(eps))))


NFT_HEAD = """add table ip kube-proxy { comment "rules for kube-proxy" ; }
add chain ip kube-proxy mark-for-masquerade
add chain ip kube-proxy masquerading
add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }
add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }
add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }
add chain ip kube-proxy filter-prerouting { type filter hook prerouting priority -110 ; }
add chain ip kube-proxy filter-forward { type filter hook forward priority -110 ; }
add chain ip kube-proxy filter-output { type filter hook output priority -110 ; }
add chain ip kube-proxy firewall-check
add chain ip kube-proxy service-endpoints-check
add chain ip kube-proxy cluster-ips-check
add chain ip kube-proxy services
add chain ip kube-proxy nodeport-endpoints-check
add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }
add map ip kube-proxy service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }
add map ip kube-proxy firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }
add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }
add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }
add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000
add rule ip kube-proxy masquerading mark and 0x4000 == 0 return
add rule ip kube-proxy masquerading mark set mark xor 0x4000
add rule ip kube-proxy masquerading masquerade fully-random
add rule ip kube-proxy nat-prerouting jump services
add rule ip kube-proxy nat-output jump services
add rule ip kube-proxy nat-postrouting jump masquerading
add rule ip kube-proxy filter-prerouting ct state new jump firewall-check
add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check
add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check
add rule ip kube-proxy filter-output ct state new jump service-endpoints-check
add rule ip kube-proxy filter-output ct state new jump firewall-check
add rule ip kube-proxy filter-output ct state new jump cluster-ips-check
add rule ip kube-proxy firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips
add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services
add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"
add rule ip kube-proxy cluster-ips-check ip daddr { %s } drop comment "Drop traffic to unallocated ClusterIPs"
add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
add rule ip kube-proxy services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports
""" % SERVICE_CIDR


def write_nft(path, n):
    with open(path, "w") as f:
        f.write(NFT_HEAD)
        out = []
        for i in range(n):
            nft_service(out, i, endpoints(i))
        # Elements in batches, as kube-proxy's transaction holds one per line.
        for i in range(n):
            out.append("add element ip kube-proxy cluster-ips { %s }" % vip(i))
            out.append("add element ip kube-proxy service-ips { %s . tcp . %d : goto %s }" %
                       (vip(i), PORT, nft_svc_chain(i)))
        f.write("\n".join(out) + "\n")


def write_nft_change(path, old, new):
    # kube-proxy's nftables mode flushes the changed service chain, writes
    # its rules again, adds the new endpoint chains and deletes the old.
    i = 0
    out = ["flush chain ip kube-proxy %s" % nft_svc_chain(i)]
    nft_service(out, i, new)
    out = [l for l in out if not l.startswith("add chain ip kube-proxy " + nft_svc_chain(i))]
    out.extend("delete chain ip kube-proxy %s" % nft_ep_chain(i, e) for e in old)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def write_ipvs(path, addrs, n):
    with open(path, "w") as f, open(addrs, "w") as a:
        for i in range(n):
            f.write("-A -t %s:%d -s rr\n" % (vip(i), PORT))
            for e in endpoints(i):
                f.write("-a -t %s:%d -r %s:%d -m -w 1\n" % (vip(i), PORT, e, TARGET_PORT))
            a.write("address add %s/32 dev kube-ipvs0\n" % vip(i))


def write_ipvs_change(path, old, new):
    i = 0
    with open(path, "w") as f:
        for e in new:
            f.write("-a -t %s:%d -r %s:%d -m -w 1\n" % (vip(i), PORT, e, TARGET_PORT))
        for e in old:
            f.write("-d -t %s:%d -r %s:%d\n" % (vip(i), PORT, e, TARGET_PORT))


def targets(n):
    k = min(TARGETS, n)
    return sorted({round(t * (n - 1) / max(k - 1, 1)) for t in range(k)})


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen.py N OUTDIR")
    n = int(sys.argv[1])
    out = sys.argv[2]
    if not 1 <= n <= 62500:
        sys.exit("gen.py: N is 1 to 62500 (the 10.96.0.0/16 range)")
    os.makedirs(out, exist_ok=True)
    p = lambda f: os.path.join(out, f)
    write_ksctl(p("ksctl.txt"), n)
    write_ksctl(p("ksctl10.txt"), n, 10)
    write_ipt(p("ipt.txt"), n)
    write_nft(p("nft.txt"), n)
    write_ipvs(p("ipvs.txt"), p("ipvs-addrs.txt"), n)
    orig, new = endpoints(0), changed_endpoints(0)
    for suffix, old, eps in (("change", orig, new), ("back", new, orig)):
        with open(p("ksctl-%s.txt" % suffix), "w") as f:
            f.write("backend replace %s %s\n" % (name(0), " ".join(
                "%s:%d" % (e, TARGET_PORT) for e in eps)))
        write_ipt_change(p("ipt-%s.txt" % suffix), n, old, eps)
        write_nft_change(p("nft-%s.txt" % suffix), old, eps)
        write_ipvs_change(p("ipvs-%s.txt" % suffix), old, eps)
    with open(p("targets.txt"), "w") as f:
        for i in targets(n):
            f.write("%s %d %s\n" % (vip(i), PORT, ",".join(endpoints(i))))
    with open(p("ready"), "w") as f:
        f.write("%d\n" % n)


if __name__ == "__main__":
    main()
