#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A conntrack entry copied through ctnetlink as conntrackd commits it.

  ctnl.py copy udp|tcp SRC SPORT DST DPORT
      Reads the IPv4 entry whose original tuple is SRC:SPORT -> DST:DPORT
      from the kernel, deletes it, and creates it again from what it read,
      the way conntrackd on a standby node commits a flow its peer sent
      (nl_create_conntrack() in conntrack-tools' src/netlink.c, fed by
      ct2msg() in src/build.c): the original tuple; the reply tuple set up as
      its inverse (NFCT_SOPT_SETUP_REPLY), so that the NAT below makes the
      real one; the status (less IPS_EXPECTED); the timeout left; the mark;
      the helper's name, when the entry has a helper; a destination NAT to
      the reply's source (address, port) when the entry was destination
      NATed to another one, a source NAT to the reply's destination when
      source NATed. Protocol state (TCP's) is not copied. Prints "read: ..."
      (what it read), "deleted", and "created" or "create: ERROR" (the
      kernel's refusal: then it exits 1).

conntrack(8) has no option for a helper's name, hence this.
"""

import os
import socket
import struct
import sys

NETLINK_NETFILTER = 12
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400
NLA_F_NESTED = 0x8000
NLA_TYPE_MASK = 0x3FFF
NFNL_SUBSYS_CTNETLINK = 1
IPCTNL_MSG_CT_NEW, IPCTNL_MSG_CT_GET, IPCTNL_MSG_CT_DELETE = 0, 1, 2
# enum ctattr_type, ctattr_tuple, ctattr_ip, ctattr_l4proto, ctattr_help,
# ctattr_nat, ctattr_protonat (linux/netfilter/nfnetlink_conntrack.h)
CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_STATUS, CTA_HELP = 1, 2, 3, 5
CTA_NAT_SRC, CTA_TIMEOUT, CTA_MARK, CTA_NAT_DST = 6, 7, 8, 13
CTA_TUPLE_IP, CTA_TUPLE_PROTO = 1, 2
CTA_IP_V4_SRC, CTA_IP_V4_DST = 1, 2
CTA_PROTO_NUM, CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT = 1, 2, 3
CTA_HELP_NAME = 1
CTA_NAT_V4_MINIP, CTA_NAT_V4_MAXIP, CTA_NAT_PROTO = 1, 2, 3
CTA_PROTONAT_PORT_MIN, CTA_PROTONAT_PORT_MAX = 1, 2
# enum ip_conntrack_status (linux/netfilter/nf_conntrack_common.h)
IPS_EXPECTED = 1 << 0
IPS_SRC_NAT_DONE, IPS_DST_NAT_DONE = 1 << 7, 1 << 8
PROTOS = {"tcp": socket.IPPROTO_TCP, "udp": socket.IPPROTO_UDP}


def attr(kind, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, kind) + payload + b"\0" * (-n % 4)


def nest(kind, *attrs):
    return attr(kind | NLA_F_NESTED, b"".join(attrs))


def attrs(buf):
    """The attributes in buf, by type: {type: payload}."""
    out, off = {}, 0
    while off + 4 <= len(buf):
        n, kind = struct.unpack_from("=HH", buf, off)
        if n < 4:
            break
        out[kind & NLA_TYPE_MASK] = buf[off + 4:off + n]
        off += (n + 3) & ~3
    return out


def tuple_attr(kind, t):
    proto, src, sport, dst, dport = t
    return nest(kind,
                nest(CTA_TUPLE_IP,
                     attr(CTA_IP_V4_SRC, socket.inet_aton(src)),
                     attr(CTA_IP_V4_DST, socket.inet_aton(dst))),
                nest(CTA_TUPLE_PROTO,
                     attr(CTA_PROTO_NUM, bytes([proto])),
                     attr(CTA_PROTO_SRC_PORT, struct.pack(">H", sport)),
                     attr(CTA_PROTO_DST_PORT, struct.pack(">H", dport))))


def parse_tuple(buf):
    a = attrs(buf)
    ip, l4 = attrs(a[CTA_TUPLE_IP]), attrs(a[CTA_TUPLE_PROTO])
    return (l4[CTA_PROTO_NUM][0],
            socket.inet_ntoa(ip[CTA_IP_V4_SRC]), struct.unpack(">H", l4[CTA_PROTO_SRC_PORT])[0],
            socket.inet_ntoa(ip[CTA_IP_V4_DST]), struct.unpack(">H", l4[CTA_PROTO_DST_PORT])[0])


def show(t):
    return f"src={t[1]} dst={t[3]} sport={t[2]} dport={t[4]}"


def nat(kind, addr, port):
    return nest(kind,
                attr(CTA_NAT_V4_MINIP, socket.inet_aton(addr)),
                attr(CTA_NAT_V4_MAXIP, socket.inet_aton(addr)),
                nest(CTA_NAT_PROTO,
                     attr(CTA_PROTONAT_PORT_MIN, struct.pack(">H", port)),
                     attr(CTA_PROTONAT_PORT_MAX, struct.pack(">H", port))))


def request(sock, msg, flags, payload):
    """Sends one ctnetlink request; returns the messages of the answer
    (their attributes), or raises the kernel's error as an OSError."""
    hdr = struct.pack("=IHHII", 20 + len(payload), NFNL_SUBSYS_CTNETLINK << 8 | msg,
                      NLM_F_REQUEST | NLM_F_ACK | flags, 1, 0)
    sock.send(hdr + struct.pack("=BBH", socket.AF_INET, 0, 0) + payload)
    got = []
    while True:
        data, off = sock.recv(65536), 0
        while off + 16 <= len(data):
            n, kind = struct.unpack_from("=IH", data, off)
            if kind == NLMSG_ERROR:
                err = struct.unpack_from("=i", data, off + 16)[0]
                if err:
                    raise OSError(-err, os.strerror(-err))
                return got
            if kind == NLMSG_DONE:
                return got
            got.append(attrs(data[off + 20:off + n]))
            off += (n + 3) & ~3


def copy(orig):
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    try:
        (ct,) = request(sock, IPCTNL_MSG_CT_GET, 0, tuple_attr(CTA_TUPLE_ORIG, orig))
    except OSError as e:
        print(f"read: {e.strerror}", flush=True)
        return 1
    reply = parse_tuple(ct[CTA_TUPLE_REPLY])
    status = struct.unpack(">I", ct[CTA_STATUS])[0]
    timeout = struct.unpack(">I", ct[CTA_TIMEOUT])[0]
    mark = struct.unpack(">I", ct.get(CTA_MARK, b"\0\0\0\0"))[0]
    helper = ""
    if CTA_HELP in ct:
        helper = attrs(ct[CTA_HELP]).get(CTA_HELP_NAME, b"").rstrip(b"\0").decode()
    print(f"read: {show(orig)} {show(reply)} status=0x{status:x} timeout={timeout}"
          f" mark={mark}" + (f" helper={helper}" if helper else ""), flush=True)

    proto, src, sport, dst, dport = orig
    msg = tuple_attr(CTA_TUPLE_ORIG, orig)
    msg += tuple_attr(CTA_TUPLE_REPLY, (proto, dst, dport, src, sport))
    msg += attr(CTA_STATUS, struct.pack(">I", status & ~IPS_EXPECTED))
    msg += attr(CTA_TIMEOUT, struct.pack(">I", timeout))
    if mark:
        msg += attr(CTA_MARK, struct.pack(">I", mark))
    if helper:
        msg += nest(CTA_HELP, attr(CTA_HELP_NAME, helper.encode() + b"\0"))
    if status & IPS_DST_NAT_DONE and (reply[1], reply[2]) != (dst, dport):
        msg += nat(CTA_NAT_DST, reply[1], reply[2])
    if status & IPS_SRC_NAT_DONE and (reply[3], reply[4]) != (src, sport):
        msg += nat(CTA_NAT_SRC, reply[3], reply[4])

    request(sock, IPCTNL_MSG_CT_DELETE, 0, tuple_attr(CTA_TUPLE_ORIG, orig))
    print("deleted", flush=True)
    try:
        request(sock, IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL, msg)
    except OSError as e:
        print(f"create: {e.strerror}", flush=True)
        return 1
    print("created", flush=True)
    return 0


def main(argv):
    if len(argv) != 7 or argv[1] != "copy" or argv[2] not in PROTOS:
        print("usage: ctnl.py copy udp|tcp SRC SPORT DST DPORT", file=sys.stderr)
        return 2
    return copy((PROTOS[argv[2]], argv[3], int(argv[4]), argv[5], int(argv[6])))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
