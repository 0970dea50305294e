#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A bulk TCP transfer that stays open after it, for the end-to-end tests.

  bulk.py serve PORT FILE
      Listens on every IPv4 address; to each client sends the whole of FILE,
      then echoes every line it gets until the client closes. Prints
      "listening" once it is ready, and "sent N to PEER" for each client.

  bulk.py fetch ADDR PORT SIZE
      Connects, reads exactly SIZE bytes and prints "received N sha256 HEX"
      (what it got, however much that is, when the stream ended early or
      stalled 20 s: a bound for a hang, as ksprobe's), then keeps the connection open,
      exchanging a line every 100 ms, until SIGTERM: prints "held N" (the
      exchanges) and exits 0, or "broken after N" and exits 1. A connection
      that is to be seen in conntrack after its transfer must still be there
      when it is looked at: this one is, and carries traffic all along.
"""

import hashlib
import signal
import socket
import sys
import threading


def serve(port, path):
    with open(path, "rb") as f:
        data = f.read()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(16)
    print("listening", flush=True)
    while True:
        c, peer = ls.accept()
        threading.Thread(target=client, args=(c, peer, data), daemon=True).start()


def client(c, peer, data):
    with c:
        c.sendall(data)
        print(f"sent {len(data)} to {peer[0]}", flush=True)
        f = c.makefile("rb")
        for line in f:
            c.sendall(line)


def fetch(addr, port, size, timeout=20):
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        s = socket.create_connection((addr, port), timeout=timeout)
    except OSError as e:
        print(f"error {e}", flush=True)
        return 1
    h = hashlib.sha256()
    n = 0
    try:
        while n < size:
            b = s.recv(min(65536, size - n))
            if not b:
                break
            h.update(b)
            n += len(b)
    except OSError as e:
        print(f"error {e}", flush=True)
    print(f"received {n} sha256 {h.hexdigest()}", flush=True)
    if n != size:
        return 1
    f = s.makefile("rb")
    held = 0
    while not stop.wait(0.1):
        try:
            s.sendall(b"ping\n")
            if f.readline() != b"ping\n":
                raise OSError("no echo")
        except OSError:
            print(f"broken after {held}", flush=True)
            return 1
        held += 1
    print(f"held {held}", flush=True)
    s.close()
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "serve":
        serve(int(argv[2]), argv[3])
        return 0
    if len(argv) == 5 and argv[1] == "fetch":
        return fetch(argv[2], int(argv[3]), int(argv[4]))
    print("usage: bulk.py serve PORT FILE | bulk.py fetch ADDR PORT SIZE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
