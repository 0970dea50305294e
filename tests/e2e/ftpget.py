#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A passive-mode FTP download, for the end-to-end tests.

  ftpget.py ADDR PORT FILE
      Logs in anonymously, and fetches FILE in binary, passive mode. Prints
      "pasv HOST PORT" (the data address the server's 227 reply gave, as the
      client got it), then "received N sha256 HEX", or "error WHAT"; exits 0
      once the whole file came, 1 otherwise. Each step waits 20 s at most.

The client connects to the address the 227 reply names (RFC 959's
passive mode), not to the control connection's peer (what Python's ftplib
does by default since 3.9.3, and curl since 7.74): behind a destination
NAT that address is the backend's unless a NAT helper (nf_nat_ftp)
rewrote the reply, so the client shows what the helper did. (A client that
ignores it fails too without the helper: its data connection to the
service address is a new one, which only the helper's expectation maps to
the backend's passive port.)
"""

import ftplib
import hashlib
import sys


class Client(ftplib.FTP):
    trust_server_pasv_ipv4_address = True

    def makepasv(self):
        host, port = super().makepasv()
        print(f"pasv {host} {port}", flush=True)
        return host, port


def main(argv):
    if len(argv) != 4:
        print("usage: ftpget.py ADDR PORT FILE", file=sys.stderr)
        return 2
    h = hashlib.sha256()
    n = 0

    def got(b):
        nonlocal n
        h.update(b)
        n += len(b)

    try:
        with Client(timeout=20) as f:
            f.connect(argv[1], int(argv[2]))
            f.login()
            f.set_pasv(True)
            f.retrbinary(f"RETR {argv[3]}", got)
    except (OSError, ftplib.Error, EOFError) as e:
        print(f"error {e!r}", flush=True)
        return 1
    print(f"received {n} sha256 {h.hexdigest()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
