#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the fuzz targets' seed corpora (corpus/<target>/), Python's
standard library only; run it again after changing them (the files are
committed; files it does not write, such as the inputs of bugs found,
are left alone).

  dns         a query for each kind of name the cluster DNS answers, with
              and without EDNS, and a few malformed ones
  decode      Service, EndpointSlice and Node objects as the API server
              writes them (JSON), one per file, and a list of them all
  watch       watch responses: ADDED, MODIFIED, DELETED, BOOKMARK and
              ERROR (410 Gone, 500) events, CRLF and keep-alive lines, a
              partial last line
  kubeconfig  kubeadm's kube-proxy kubeconfig (examples/kubeadm) and the
              shapes kubectl's have (inline data, tokens, client
              certificates, several contexts)
  kpconfig    kubeadm's config.conf (examples/kubeadm) and variants that
              set what kserviced reads
  manifests   the files of deploy/ and examples/tutorial/ as folders
              (fuzz_manifests.c: "#@ NAME" lines start files)
"""
import os
import struct
import sys

A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, SRV, OPT, AXFR, ANY = \
    1, 2, 5, 6, 12, 15, 16, 28, 33, 41, 252, 255


def name(s):
    out = b""
    for label in s.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(qname, qtype, qid=0x1234, flags=0x0100, edns=None, version=0,
          qclass=1):
    ar = 1 if edns is not None else 0
    msg = struct.pack(">HHHHHH", qid, flags, 1, 0, 0, ar)
    msg += name(qname) + struct.pack(">HH", qtype, qclass)
    if edns is not None:
        msg += b"\0" + struct.pack(">HHBBHH", OPT, edns, 0, version, 0, 0)
    return msg


def two_opts():
    """A query with two OPT records: FORMERR."""
    msg = bytearray(query("cluster.local", SOA, edns=1232))
    msg[11] = 2
    return bytes(msg) + bytes(msg[-11:])


SEEDS = {
    "a": query("my-app-service.default.svc.cluster.local", A),
    "a-case": query("My-App-Service.DEFAULT.svc.cluster.local", A),
    "aaaa-dual": query("dual.shop.svc.cluster.local", AAAA),
    "any": query("dual.shop.svc.cluster.local", ANY),
    "headless": query("web.shop.svc.cluster.local", A),
    "endpoint": query("web-0.web.shop.svc.cluster.local", AAAA),
    "endpoint-addr": query("10-244-2-6.web.shop.svc.cluster.local", A),
    "srv": query("_http._tcp.my-app-service.default.svc.cluster.local", SRV),
    "srv-headless": query("_http._tcp.web.shop.svc.cluster.local", SRV),
    "srv-ent": query("_udp.dual.shop.svc.cluster.local", SRV),
    "cname": query("db.shop.svc.cluster.local", A),
    "cname-chase": query("alias.shop.svc.cluster.local", A),
    "cname-loop": query("loop-a.shop.svc.cluster.local", AAAA),
    "ptr4": query("80.0.96.10.in-addr.arpa", PTR),
    "ptr6": query(".".join("fd000000000000000000000000000090"[::-1]) +
                  ".ip6.arpa", PTR),
    "ptr-endpoint": query("5.2.244.10.in-addr.arpa", PTR),
    "nxdomain": query("my-app-service.default.svc.cluster.local."
                      "cluster.local", A),
    "nodata": query("my-app-service.default.svc.cluster.local", MX),
    "namespace": query("default.svc.cluster.local", A),
    "soa": query("cluster.local", SOA),
    "ns": query("cluster.local", NS),
    "txt": query("dns-version.cluster.local", TXT),
    "refused": query("example.com", A),
    "pod": query("10-244-1-9.default.pod.cluster.local", A),
    "pod6": query("fd00-244--9.default.pod.cluster.local", AAAA),
    "headless-empty": query("empty.shop.svc.cluster.local", A),
    "srv-mid": query("_http._tcp.mid.shop.svc.cluster.local", SRV),
    "big": query("big.shop.svc.cluster.local", A),
    "big-edns": query("big.shop.svc.cluster.local", A, edns=4096),
    "big-edns-600": query("big.shop.svc.cluster.local", A, edns=600),
    "badvers": query("my-app-service.default.svc.cluster.local", A,
                     edns=1232, version=1),
    "axfr": query("cluster.local", AXFR),
    "chaos": query("version.bind", TXT, qclass=3),
    "notify": query("cluster.local", SOA, flags=4 << 11),
    "response": query("cluster.local", SOA, flags=0x8000),
    "two-questions": struct.pack(">HHHHHH", 1, 0, 2, 0, 0, 0) +
    name("a.cluster.local") + struct.pack(">HH", A, 1),
    "pointer-loop": struct.pack(">HHHHHH", 1, 0, 1, 0, 0, 0) +
    b"\xc0\x0c" + struct.pack(">HH", A, 1),
    "two-opts": two_opts(),
    "header-only": struct.pack(">HHHHHH", 7, 0x0100, 0, 0, 0, 0),
}

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, "..", "..")


def write(target, seeds):
    out = os.path.join(HERE, "corpus", target)
    os.makedirs(out, exist_ok=True)
    for seed, data in seeds.items():
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(out, seed), "wb") as f:
            f.write(data)


def read(path):
    with open(os.path.join(TOP, path), "rb") as f:
        return f.read()


write("dns", SEEDS)

sys.dont_write_bytecode = True
from seeds_k8s import decode_seeds, watch_seeds, kubeconfig_seeds, \
    kpconfig_seeds, manifests_seeds  # noqa: E402

write("decode", decode_seeds())
write("watch", watch_seeds())
write("kubeconfig", kubeconfig_seeds(read))
write("kpconfig", kpconfig_seeds(read))
write("manifests", manifests_seeds(read))
