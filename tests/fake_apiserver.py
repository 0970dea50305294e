#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A fake Kubernetes API server for kserviced's tests (standard library only).

Serves v1 services and discovery.k8s.io/v1 endpointslices: lists (with
limit/continue paging) and chunked watch streams (watch=1, from a
resourceVersion, with bookmarks), over HTTPS with the certificate given,
on 127.0.0.1 and an ephemeral port, which it prints as "port N".

The steps file (JSON) holds the initial objects and the scripted steps:

  {"initial": {"services": [...], "endpointslices": [...]},
   "steps": [{"name": "...", "actions": [ACTION, ...]}, ...]}

A line "next" on stdin runs the next step's actions, then "done N" is
printed; "apply [ACTION, ...]" (JSON on one line) runs those actions,
then "applied N" is printed (N counts the apply lines); "stats" prints
"stats {JSON}", the counts of lists, watches, watches answered 410 and
requests answered 401, lists with resourceVersion=0 and requests answered
"busy" so far, and the time from the first request to the last (ms). --address picks the address to listen on (127.0.0.1 by default),
--bookmark-seconds how long a quiet watch waits for its bookmark (60). Actions, each with "resource": "services" or "endpointslices":

  {"op": "put", "object": {...}}        ADDED or MODIFIED
  {"op": "put", "object": {...}, "silent": true}
                                        changed without an event (history
                                        the watchers will never see)
  {"op": "delete", "namespace": "default", "name": "..."}
  {"op": "bookmark"}                    a BOOKMARK to the open watches
  {"op": "garbage", "object": {...}}    an event whose object is kept
                                        as is (it need not validate)
  {"op": "garbage", "object": {...}, "keep_rv": true}
                                        the same, its resourceVersion too
                                        (garbage of the client's to keep
                                        or not)
  {"op": "garbage_line"}                a line that is not JSON
  {"op": "drop"}                        open watches cut mid-stream
  {"op": "gone", "how": "event"|"http"} history compacted: open watches
                                        get an ERROR event with code 410
                                        ("event") or are cut and their
                                        reconnection gets HTTP 410 ("http")
  {"op": "slow", "on": true}            events written a few bytes per
                                        chunk, with pauses (a slow link)
  {"op": "token", "token": "..."}       the token accepted from now on (a
                                        rotation; open watches go on)
  {"op": "error", "code": N}            open watches get an ERROR event
                                        with code N and are ended
  {"op": "freeze"}                      open watches say nothing more and
                                        stay open (a frozen server, or a
                                        black-holed path); new ones serve
  {"op": "busy", "code": N, "retry_after": S, "count": C}
                                        the next C requests (lists or
                                        watches) answered HTTP N with
                                        Retry-After: S
  {"op": "reject", "code": N}           watches from a resourceVersion up
                                        to the current one are answered
                                        HTTP N from now on (a list gives a
                                        newer one: the op moves it on)

A list with resourceVersion=0 is served whole from "the watch cache", as
the real API server does: limit ignored, no continue.

A watch that allows bookmarks gets one after a minute without events, as
from the real API server's watch cache.

A watch from a resourceVersion that is not a number is answered 400, one
newer than the server's 504 "Too large resource version", as the real
API server answers them.

Requests must carry "Authorization: Bearer TOKEN" when --token is given.
Counters of what was served are printed to stderr at exit.
"""
import argparse
import json
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESOURCES = {
    "/api/v1/services": ("services", "Service", "v1"),
    "/apis/discovery.k8s.io/v1/endpointslices":
        ("endpointslices", "EndpointSlice", "discovery.k8s.io/v1"),
    "/api/v1/nodes": ("nodes", "Node", "v1"),
}


def selected(q, obj):
    """fieldSelector=metadata.name=X, the only one served."""
    sel = q.get("fieldSelector")
    if not sel:
        return True
    field, _, want = sel.partition("=")
    assert field == "metadata.name", sel
    return obj.get("metadata", {}).get("name") == want


class State:
    def __init__(self):
        self.cond = threading.Condition()
        self.rv = 100
        self.objs = {r: {} for r, _, _ in RESOURCES.values()}
        # Per resource: [(rv, line bytes, closes the stream)]
        self.log = {r: [] for r in self.objs}
        self.compacted = {r: 0 for r in self.objs}
        self.drop_gen = {r: 0 for r in self.objs}
        self.slow = False
        self.reject = {r: (0, 0) for r in self.objs}
        self.freeze_gen = {r: 0 for r in self.objs}
        self.stats = {"lists": 0, "watches": 0, "gone": 0,
                      "unauthorized": 0, "cached": 0, "busy": 0,
                      "span_ms": 0}
        self.first = None
        self.busy = {r: (0, 0, 0) for r in self.objs}

    @staticmethod
    def key(obj):
        m = obj.get("metadata", {})
        return (m.get("namespace") or "default", m.get("name", ""))

    def event(self, res, typ, obj, closes=False):
        line = json.dumps({"type": typ, "object": obj}).encode() + b"\n"
        self.log[res].append((self.rv, line, closes))

    def put(self, res, obj, silent=False, typ=None, keep_rv=False):
        self.rv += 1
        obj = json.loads(json.dumps(obj))
        if not keep_rv:
            obj.setdefault("metadata", {})["resourceVersion"] = str(self.rv)
        k = self.key(obj)
        if typ is None:
            typ = "MODIFIED" if k in self.objs[res] else "ADDED"
        self.objs[res][k] = obj
        if not silent:
            self.event(res, typ, obj)

    def apply(self, a):
        res = a.get("resource", "services")
        op = a["op"]
        if op == "put":
            self.put(res, a["object"], a.get("silent", False))
        elif op == "garbage":
            self.put(res, a["object"], typ="ADDED",
                     keep_rv=a.get("keep_rv", False))
        elif op == "garbage_line":
            self.log[res].append((self.rv, b"{this is not json\n", False))
        elif op == "delete":
            k = (a.get("namespace", "default"), a["name"])
            obj = self.objs[res].pop(k)
            self.rv += 1
            obj["metadata"]["resourceVersion"] = str(self.rv)
            self.event(res, "DELETED", obj)
        elif op == "bookmark":
            _, kind, api = [v for v in RESOURCES.values() if v[0] == res][0]
            self.event(res, "BOOKMARK", {
                "kind": kind, "apiVersion": api,
                "metadata": {"resourceVersion": str(self.rv)}})
        elif op == "drop":
            self.drop_gen[res] += 1
        elif op == "gone":
            before = self.rv
            self.rv += 1
            self.compacted[res] = self.rv
            if a.get("how", "event") == "event":
                self.log[res].append((before, json.dumps({
                    "type": "ERROR", "object": {
                        "kind": "Status", "apiVersion": "v1",
                        "status": "Failure", "reason": "Expired",
                        "message": "too old resource version",
                        "code": 410}}).encode() + b"\n", True))
            else:
                self.drop_gen[res] += 1
        elif op == "busy":
            self.busy[res] = (a["count"], a["code"], a["retry_after"])
        elif op == "error":
            self.log[res].append((self.rv, json.dumps({
                "type": "ERROR", "object": {
                    "kind": "Status", "apiVersion": "v1",
                    "status": "Failure", "reason": "InternalError",
                    "message": "test", "code": a["code"]}}).encode() + b"\n",
                True))
        elif op == "freeze":
            self.freeze_gen[res] += 1
        elif op == "reject":
            self.reject[res] = (self.rv, a["code"])
            self.rv += 1
        elif op == "slow":
            self.slow = a.get("on", True)
        elif op == "token":
            global TOKEN
            TOKEN = a["token"]
        else:
            raise ValueError("unknown op " + op)


STATE = State()
TOKEN = None
# A watch that allows bookmarks and has had nothing for this long gets one
# (the API server's watch cache: every minute).
BOOKMARK_S = 60


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_json(self, code, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def status(self, code, reason, message, headers=()):
        self.send_json(code, {"kind": "Status", "apiVersion": "v1",
                              "status": "Failure", "reason": reason,
                              "message": message, "code": code}, headers)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if TOKEN and self.headers.get("Authorization") != "Bearer " + TOKEN:
            with STATE.cond:
                STATE.stats["unauthorized"] += 1
            return self.status(401, "Unauthorized", "Unauthorized")
        if url.path not in RESOURCES:
            return self.status(404, "NotFound", "no " + url.path)
        res, kind, api = RESOURCES[url.path]
        with STATE.cond:
            now = time.monotonic()
            if STATE.first is None:
                STATE.first = now
            STATE.stats["span_ms"] = int((now - STATE.first) * 1000)
            count, code, after = STATE.busy[res]
            if count:
                STATE.busy[res] = (count - 1, code, after)
                STATE.stats["busy"] += 1
        if count:
            return self.status(code, "TooManyRequests", "busy",
                               [("Retry-After", str(after))])
        if q.get("watch") in ("1", "true"):
            return self.watch(res, q)
        return self.list(res, kind, api, q)

    def list(self, res, kind, api, q):
        with STATE.cond:
            STATE.stats["lists"] += 1
            items = [STATE.objs[res][k] for k in sorted(STATE.objs[res])
                     if selected(q, STATE.objs[res][k])]
            rv = STATE.rv
        start = int(q.get("continue") or 0)
        limit = int(q.get("limit") or 0) or len(items) or 1
        if q.get("resourceVersion") == "0":
            assert not start, "resourceVersion with continue"
            with STATE.cond:
                STATE.stats["cached"] += 1
            limit = len(items) or 1
        page = items[start:start + limit]
        cont = str(start + limit) if start + limit < len(items) else ""
        meta = {"resourceVersion": str(rv)}
        if cont:
            meta["continue"] = cont
        self.send_json(200, {"kind": kind + "List", "apiVersion": api,
                             "metadata": meta, "items": page})

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, res, q):
        try:
            rv = int(q.get("resourceVersion") or 0)
        except ValueError:
            return self.status(400, "BadRequest", "invalid resource version")
        with STATE.cond:
            STATE.stats["watches"] += 1
            upto, code = STATE.reject[res]
            newer = rv > STATE.rv
        if newer:
            return self.status(504, "Timeout", "Too large resource version")
        if code and rv <= upto:
            return self.status(code, "Rejected", "rejected by the test")
        with STATE.cond:
            if rv < STATE.compacted[res]:
                STATE.stats["gone"] += 1
                gone = True
            else:
                gone = False
                gen = STATE.drop_gen[res]
                fgen = STATE.freeze_gen[res]
                pos = len([e for e in STATE.log[res] if e[0] <= rv])
        if gone:
            return self.status(410, "Expired", "too old resource version")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        bookmarks = q.get("allowWatchBookmarks") in ("1", "true")
        while True:
            with STATE.cond:
                news = STATE.cond.wait_for(
                    lambda: len(STATE.log[res]) > pos or
                    STATE.drop_gen[res] != gen or
                    STATE.freeze_gen[res] != fgen, timeout=BOOKMARK_S)
                if STATE.freeze_gen[res] != fgen:
                    # Frozen: open, silent, until dropped.
                    STATE.cond.wait_for(
                        lambda: STATE.drop_gen[res] != gen)
                if STATE.drop_gen[res] != gen:
                    break
                todo = STATE.log[res][pos:]
                pos += len(todo)
                slow = STATE.slow
                if not news and bookmarks:
                    # Quiet for a while: a bookmark, as the watch
                    # cache sends one at least every minute.
                    _, kind, api = [v for v in RESOURCES.values()
                                    if v[0] == res][0]
                    todo = [(STATE.rv, json.dumps({
                        "type": "BOOKMARK", "object": {
                            "kind": kind, "apiVersion": api,
                            "metadata": {"resourceVersion":
                                         str(STATE.rv)}}}).encode() +
                             b"\n", False)]
            for _, line, closes in todo:
                ev = json.loads(line) if line.startswith(b"{\"") else {}
                if ev.get("type") in ("ADDED", "MODIFIED", "DELETED") and \
                        not selected(q, ev["object"]):
                    continue
                if slow:
                    for i in range(0, len(line), 5):
                        self.chunk(line[i:i + 5])
                        time.sleep(0.001)
                else:
                    self.chunk(line)
                if closes:
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                    self.close_connection = True
                    return
        # Dropped: the connection is cut without the last chunk.
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main():
    global TOKEN, BOOKMARK_S
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--steps", required=True)
    ap.add_argument("--token")
    ap.add_argument("--address", default="127.0.0.1")
    ap.add_argument("--bookmark-seconds", type=float, default=BOOKMARK_S)
    args = ap.parse_args()
    TOKEN = args.token
    BOOKMARK_S = args.bookmark_seconds
    with open(args.steps) as f:
        script = json.load(f)
    with STATE.cond:
        for res, objs in script.get("initial", {}).items():
            for o in objs:
                STATE.put(res, o)
    srv = ThreadingHTTPServer((args.address, 0), Handler)
    srv.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("port %d" % srv.server_address[1], flush=True)
    steps = script.get("steps", [])
    n = 0
    applied = 0
    for line in sys.stdin:
        if line.startswith("apply "):
            with STATE.cond:
                for a in json.loads(line[6:]):
                    STATE.apply(a)
                STATE.cond.notify_all()
            applied += 1
            print("applied %d" % applied, flush=True)
            continue
        if line.strip() == "stats":
            with STATE.cond:
                print("stats %s" % json.dumps(STATE.stats), flush=True)
            continue
        if line.strip() != "next":
            continue
        if n >= len(steps):
            print("error no step %d" % n, flush=True)
            continue
        with STATE.cond:
            for a in steps[n]["actions"]:
                STATE.apply(a)
            STATE.cond.notify_all()
        n += 1
        print("done %d" % n, flush=True)
    srv.shutdown()
    print("fake_apiserver: %s" % json.dumps(STATE.stats), file=sys.stderr)


if __name__ == "__main__":
    main()
