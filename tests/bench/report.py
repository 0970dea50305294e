#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns bench.sh's KSVC-BENCH lines into Markdown tables and gnuplot PNGs.

    report.py --results FILE --docs DIR [--readme FILE] [--date TEXT]
              [--supp FILE --supp-date TEXT]

DIR gets one Markdown table and one PNG per measurement (rate, latency,
load, change, memory), summary.md with all of them, the targets and the run's
conditions, and results.txt (the raw lines). With --readme, the summary
replaces what lies between "<!-- bench begin -->" and "<!-- bench end -->".

--supp: the results of a second run of kservice alone; its parse10 and
change_inproc records (figures the first run did not take) are added, and
the summary says so.
"""
import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys

MODES = ["kservice", "iptables", "nftables", "ipvs"]
LABEL = {"kservice": "kservice", "iptables": "iptables (nft backend)",
         "nftables": "nftables", "ipvs": "IPVS"}


def parse(path):
    recs = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) < 2 or w[0] != "KSVC-BENCH":
                continue
            r = {"rec": w[1]}
            for kv in w[2:]:
                if "=" in kv:
                    k, v = kv.split("=", 1)
                    r[k] = v
            recs.append(r)
    return recs


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def host_cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def qemu_version():
    try:
        out = subprocess.run(["qemu-system-x86_64", "--version"],
                             capture_output=True, text=True).stdout
        return out.splitlines()[0].replace("QEMU emulator version ", "")
    except (OSError, IndexError):
        return "unknown"


SUPP_RECS = ("parse10", "change_inproc")


def merge(main, supp):
    """main's records, but supp's for (record, N) that supp has."""
    have = {(r["rec"], r.get("n")) for r in supp if r["rec"] in SUPP_RECS}
    out = [r for r in main if (r["rec"], r.get("n")) not in have]
    return out + [r for r in supp if r["rec"] in SUPP_RECS], sorted(
        {int(n) for _, n in have if n is not None})


class Results:
    def __init__(self, recs):
        self.recs = recs
        self.meta = next((r for r in recs if r["rec"] == "meta"), {})
        self.ns = sorted({int(r["n"]) for r in recs if "n" in r and r["rec"] != "exec"})

    def get(self, rec, mode, n, key):
        return [num(r.get(key)) for r in self.recs
                if r["rec"] == rec and r.get("mode") == mode and int(r.get("n", -1)) == n
                and num(r.get(key)) is not None]

    def one(self, rec, mode, n, key):
        v = self.get(rec, mode, n, key)
        return v[0] if v else None

    def ok(self, rec, mode, n):
        v = [r for r in self.recs if r["rec"] == rec and r.get("mode") == mode
             and int(r.get("n", -1)) == n]
        return bool(v) and all(r.get("ok") == "1" for r in v)

    def med(self, rec, mode, n, key):
        v = self.get(rec, mode, n, key)
        return (statistics.median(v), min(v), max(v)) if v else None

    def exec_cost(self, tool, n):
        v = [num(r["secs"]) for r in self.recs if r["rec"] == "exec"
             and r.get("tool") == tool and int(r.get("n", -1)) == n]
        return statistics.median(v) if v else None


def fmt(v, digits=0):
    if v is None:
        return "–"
    if digits == 0:
        return "{:,.0f}".format(v)
    return "{:,.{}f}".format(v, digits)


def spread(m, digits=0):
    if m is None:
        return "–"
    med, lo, hi = m
    if lo == hi:
        return fmt(med, digits)
    return "%s (%s–%s)" % (fmt(med, digits), fmt(lo, digits), fmt(hi, digits))


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return "%.2f×" % (a / b)


def table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" if i == 0 else "--:" for i in range(len(head))) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def rate_md(R):
    rows = []
    for n in R.ns:
        m = {mode: R.med("conn", mode, n, "rate") for mode in MODES}
        k = m["kservice"][0] if m["kservice"] else None
        rows.append([fmt(n)] + [spread(m[mode]) for mode in MODES] +
                    [ratio(k, m[x][0] if m[x] else None) for x in MODES[1:]])
    return ("New connections per second from one client pod, %s in flight, median "
            "of %s runs of %s s (min–max); kservice's ratio to each.\n\n" %
            (R.meta.get("conc", "?"), R.meta.get("reps", "?"), R.meta.get("secs", "?")) +
            table(["services"] + [LABEL[m] for m in MODES] +
                  ["÷ iptables", "÷ nftables", "÷ IPVS"], rows))


def latency_md(R):
    rows = []
    for n in R.ns:
        row = [fmt(n)]
        for mode in MODES:
            p50 = R.med("lat", mode, n, "p50_us")
            p99 = R.med("lat", mode, n, "p99_us")
            row.append("%s / %s" % (fmt(p50[0]) if p50 else "–", fmt(p99[0]) if p99 else "–"))
        rows.append(row)
    return ("First-packet latency, µs, p50 / p99: connect() to its completion (the "
            "SYN-ACK back), one connection at a time, median of %s runs of %s s.\n\n" %
            (R.meta.get("reps", "?"), R.meta.get("lat_secs", "?")) +
            table(["services"] + [LABEL[m] for m in MODES], rows))


TOOL = {"kservice": "ksctl", "iptables": "iptables-nft-restore", "nftables": "nft",
        "ipvs": "ipvsadm"}


def timecell(R, rec, mode, n):
    v = R.one(rec, mode, n, "secs")
    if v is None:
        return "–"
    s = fmt(v, 3) if v < 10 else fmt(v, 1)
    if not R.ok(rec, mode, n):
        s = "> %s (stopped)" % fmt(v, 0) if v > 60 else s + " (failed)"
    return s


def load_md(R):
    rows = []
    for n in R.ns:
        rows.append([fmt(n)] + [timecell(R, "load", mode, n) for mode in MODES] +
                    [timecell(R, "load10", "kservice", n)])
    return ("Loading all N services from empty, seconds of wall time: `ksctl restore`, "
            "`iptables-nft-restore`, `nft -f`, `ip -batch` (the VIPs on kube-ipvs0) + "
            "`ipvsadm --restore`; each through `ip netns exec`. 2 to 10 endpoints a "
            "service; the last column is kservice with 10 endpoints each.\n\n" +
            table(["services"] + [LABEL[m] for m in MODES] + ["kservice, 10 endpoints each"],
                  rows))


def change_md(R):
    rows = []
    for n in R.ns:
        row = [fmt(n)]
        for mode in MODES:
            m = R.med("change", mode, n, "secs")
            if m is None:
                row.append("–")
                continue
            s = spread((m[0] * 1000, m[1] * 1000, m[2] * 1000), 0)
            if not R.ok("change", mode, n):
                s += " (failed or cut)"
            row.append(s)
        rows.append(row)
    start = []
    for n in R.ns:
        start.append([fmt(n)] + [fmt(R.exec_cost(TOOL[m], n) * 1000) if R.exec_cost(TOOL[m], n)
                                 is not None else "–" for m in MODES])
    inproc = []
    for n in R.ns:
        m = R.med("change_inproc", "kservice", n, "usecs")
        if m:
            inproc.append([fmt(n), spread((m[0] / 1000, m[1] / 1000, m[2] / 1000), 2)])
    out = ("One service's endpoints all replaced on top of N, milliseconds of wall time around "
           "the tool, median (min–max) of the changes made, back and forth. kservice: one "
           "`backend replace` (`ksctl restore`); iptables: a kube-proxy partial sync "
           "(`iptables-nft-restore --noflush`: KUBE-SERVICES whole, the service's chains); "
           "nftables: the service chain flushed and rewritten, endpoint chains added and "
           "deleted (`nft -f`); IPVS: real servers added and deleted (`ipvsadm --restore`).\n\n" +
           table(["services"] + [LABEL[m] for m in MODES], rows) +
           "\nWhat starting each tool costs alone (`TOOL --version` through `ip netns exec`, "
           "median, ms, no watchdog): most of a small change under emulation.\n\n" +
           table(["services"] + [TOOL[m] for m in MODES], start))
    if inproc:
        out += ("\nkservice's change timed inside the process (`tests/bench/kstime`: "
                "`ksvc_backend_replace()` over libksvc, the request and its ack), ms, median "
                "(min–max):\n\n" + table(["services", "kservice, in-process"], inproc))
    return out


def mem_total(R, mode, n):
    vals = [R.one("mem", mode, n, k) for k in ("Slab_kb", "Percpu_kb", "VmallocUsed_kb")]
    if all(v is None for v in vals):
        return None
    return sum(v for v in vals if v is not None)


def memory_md(R):
    rows = []
    for n in R.ns:
        row = [fmt(n)]
        for mode in MODES:
            t = mem_total(R, mode, n)
            row.append("–" if t is None else fmt(t / 1024, 1))
        own = R.one("kservice_mem", None, n, "bytes")
        row.append("–" if own is None else fmt(own / 1048576, 1))
        rows.append(row)
    return ("Kernel memory for N services, MiB: the rise of /proc/meminfo Slab + Percpu + "
            "VmallocUsed over loading (conntrack flushed and caches dropped before); the "
            "last column is kservice's own count (`ksctl config show`: memory).\n\n" +
            table(["services"] + [LABEL[m] for m in MODES] + ["kservice (own count)"], rows))


def correctness_md(R):
    rows = []
    for mode in MODES:
        st = sum(num(r["started"]) for r in R.recs if r["rec"] in ("conn", "lat")
                 and r.get("mode") == mode)
        an = sum(num(r["answered"]) for r in R.recs if r["rec"] in ("conn", "lat")
                 and r.get("mode") == mode)
        bad = sum(num(r["wrong"]) + num(r["failed"]) for r in R.recs
                  if r["rec"] in ("conn", "lat") and r.get("mode") == mode)
        rows.append([LABEL[mode], fmt(st), fmt(an), fmt(bad)])
    return ("Every counted connection, checked: the backend's answer (the address it was "
            "reached on) must be one of its service's endpoints.\n\n" +
            table(["mode", "connections", "answered by an endpoint", "failed or wrong"], rows))


def targets_md(R):
    out = []
    n = 10000

    def line(what, value, goal, met):
        out.append("| %s | %s | %s | %s |" % (what, value, goal,
                                              "met" if met else ("missed" if met is not None else "not measured")))

    def rate(mode):
        m = R.med("conn", mode, n, "rate")
        return m[0] if m else None

    k = rate("kservice")
    for mode, goal in (("iptables", 3.0), ("nftables", 1.2), ("ipvs", 1.0)):
        o = rate(mode)
        r = k / o if k and o else None
        line("rate at 10,000, kservice ÷ %s" % LABEL[mode], "%.2f×" % r if r else "–",
             "≥ %.1f×" % goal, None if r is None else r >= goal)
    a = R.med("lat", "kservice", 100, "p50_us")
    b = R.med("lat", "kservice", 50000, "p50_us")
    d = (b[0] / a[0] - 1) if a and b else None
    line("kservice p50 latency, 50,000 vs 100", "%+.1f%%" % (d * 100) if d is not None else "–",
         "within 10%", None if d is None else abs(d) <= 0.10)
    v = R.one("load10", "kservice", n, "secs")
    line("load 10,000 × 10 endpoints (kservice, `ksctl restore`, wall)",
         "%.3f s" % v if v is not None else "–", "< 1 s", None if v is None else v < 1)
    p = R.med("parse10", "kservice", n, "secs")
    if p is not None:
        out.append("| of which ksctl reading and parsing its input alone | %s s | | |" % spread(p, 2))
    m = R.med("change", "kservice", n, "secs")
    v = m[0] if m else None
    line("one change on 10,000 (kservice, `ksctl`, wall)",
         "%.0f ms" % (v * 1000) if v is not None else "–", "< 10 ms", None if v is None else v < 0.010)
    m = R.med("change_inproc", "kservice", n, "usecs")
    if m:
        line("one change on 10,000 (kservice), in-process request", "%.2f ms" % (m[0] / 1000),
             "< 10 ms", m[0] < 10000)
    return "| target | measured | goal | |\n|---|--:|--:|---|\n" + "\n".join(out) + "\n"


def plot(docs, name, title, ylabel, series, logy=True):
    """series: [(label, [(x, y)])]"""
    if not shutil.which("gnuplot"):
        print("report.py: no gnuplot, no %s.png" % name, file=sys.stderr)
        return
    data = os.path.join(docs, ".%s.dat" % name)
    with open(data, "w") as f:
        for label, pts in series:
            f.write('"%s"\n' % label)
            for x, y in pts:
                if y is not None:
                    f.write("%s %s\n" % (x, y))
            f.write("\n\n")
    plots = ", ".join("'%s' index %d using 1:2 with linespoints lw 2 pt 7 title columnheader(1)"
                      % (data, i) for i in range(len(series)))
    script = """set terminal png size 800,480 font ",10"
set output '%s'
set title '%s'
set xlabel 'services'
set ylabel '%s'
set logscale x
%s
set grid
set key top left
plot %s
""" % (os.path.join(docs, name + ".png"), title, ylabel, "set logscale y" if logy else "", plots)
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    os.unlink(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--docs", required=True)
    ap.add_argument("--readme")
    ap.add_argument("--date", default="")
    ap.add_argument("--supp")
    ap.add_argument("--supp-date", default="")
    a = ap.parse_args()
    recs = parse(a.results)
    supp_ns = []
    if a.supp:
        recs, supp_ns = merge(recs, parse(a.supp))
    R = Results(recs)
    os.makedirs(a.docs, exist_ok=True)
    shutil.copy(a.results, os.path.join(a.docs, "results.txt"))
    if a.supp:
        shutil.copy(a.supp, os.path.join(a.docs, "results-programming.txt"))

    parts = {"rate": rate_md(R), "latency": latency_md(R), "load": load_md(R),
             "change": change_md(R), "memory": memory_md(R)}
    for k, v in parts.items():
        with open(os.path.join(a.docs, k + ".md"), "w") as f:
            f.write(v)

    def series(fn):
        return [(LABEL[m], [(n, fn(m, n)) for n in R.ns]) for m in MODES]

    plot(a.docs, "rate", "New connections per second (median)", "connections/s",
         series(lambda m, n: (R.med("conn", m, n, "rate") or [None])[0]))
    plot(a.docs, "latency", "First-packet latency, p50 (median of the runs)", "µs",
         series(lambda m, n: (R.med("lat", m, n, "p50_us") or [None])[0]))
    plot(a.docs, "load", "Loading N services from empty", "seconds",
         series(lambda m, n: R.one("load", m, n, "secs") if R.ok("load", m, n) else None))
    plot(a.docs, "change", "One service changed on top of N", "seconds",
         series(lambda m, n: (R.med("change", m, n, "secs") or [None])[0]))
    plot(a.docs, "memory", "Kernel memory for N services", "MiB",
         series(lambda m, n: (mem_total(R, m, n) / 1024) if mem_total(R, m, n) else None))

    meta = R.meta
    cond = ("%s; guest: Debian's Linux %s under qemu %s in software emulation (TCG), "
            "%s vCPUs, %s MiB; host: %s, %d cores. Each connection: connect, a 4-byte answer "
            "from the backend, close; %s connections in flight for the rate, one for "
            "the latency; %s s of warm-up before each run, not counted; conntrack "
            "flushed between runs. Each way has its own namespaces (node, client, four server "
            "pods) in the same VM; the four are loaded one at a time (each load timed and its "
            "memory measured alone), then the traffic runs in rounds, one run of each way per "
            "round, the order turning each round, so that the host's other work falls on all "
            "four alike.\n" %
            (a.date, meta.get("kernel", "?"), qemu_version(), meta.get("cpus", "?"),
             int(num(meta.get("mem_kb", 0)) or 0) // 1024, host_cpu(), os.cpu_count() or 0,
             meta.get("conc", "?"),
             meta.get("warmup", "?")))
    caveat = ("Absolute figures are those of an emulated CPU, many times slower than "
              "hardware and noisy: read the ratios between the four modes of the same run, "
              "not the numbers.\n")
    if supp_ns:
        caveat += ("\nkservice's change timed in-process and ksctl's parsing time alone come from "
                   "two later runs in the same VM set-up (%s, "
                   "`results-programming.txt`); everything else from the main run "
                   "(`results.txt`).\n" % a.supp_date)
    summary = ["_%s_\n" % cond.strip(), caveat,
               "### Targets (at 10,000 services unless said)\n", targets_md(R),
               "### New connections per second\n", parts["rate"], "![rate](docs/bench/rate.png)\n",
               "### First-packet latency\n", parts["latency"],
               "![latency](docs/bench/latency.png)\n",
               "### Programming time\n", parts["load"], "![load](docs/bench/load.png)\n",
               parts["change"], "![change](docs/bench/change.png)\n",
               "### Kernel memory\n", parts["memory"], "![memory](docs/bench/memory.png)\n",
               "### Every connection reached a backend\n", correctness_md(R)]
    text = "\n".join(summary)
    with open(os.path.join(a.docs, "summary.md"), "w") as f:
        f.write("# Benchmark: kservice, kube-proxy's iptables and nftables layouts, IPVS\n\n")
        f.write(text.replace("](docs/bench/", "]("))
    if a.readme:
        with open(a.readme) as f:
            readme = f.read()
        begin, end = "<!-- bench begin -->", "<!-- bench end -->"
        if begin in readme and end in readme:
            pre = readme[:readme.index(begin) + len(begin)]
            post = readme[readme.index(end):]
            readme = pre + "\n" + text + "\n" + post
            with open(a.readme, "w") as f:
                f.write(readme)
        else:
            print("report.py: no bench markers in %s" % a.readme, file=sys.stderr)


if __name__ == "__main__":
    main()
