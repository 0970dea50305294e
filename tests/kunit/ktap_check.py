#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks the raw console log of a KUnit run under UML (build_dir/test.log).

Independent of kunit.py's own verdict, it
  * counts the test cases (leaves of the KTAP tree) that passed, failed or
    were skipped; cases announced by a plan line ("1..N") but never reported
    (the kernel died mid-suite) count as failed;
  * greps the whole log, boot included, for kernel reports that KUnit does
    not turn into failures (KASAN, lockdep, RCU, UBSAN, WARN/BUG, panic,
    stalls): kservice's built-in init runs before the first test. The only
    report let through is UML's own virt-pci WARNING at boot (KNOWN_NOISE),
    matched by its exact headline, with its own trace lines and nothing else;
  * fails on every skip: a suite skipped as a whole always, a skipped case
    (or parameter of a case) unless the case is on the allow-list, a file of
    "<suite>.<case> <reason>" lines (tests/kunit/skip-allow);
  * checks that the expected suites (the kunit_suite names found in the
    kservice test sources) ran.

Usage: ktap_check.py [--skip-allow FILE] LOG TEST_SOURCE...
The last line printed is "COUNTS <passed> <failed> <skipped>"; the exit
status is 0 when all checks pass, 1 otherwise, 2 on a usage or allow-list
error.
"""

import re
import sys

REPORT_RE = re.compile(
    r'BUG:|kernel BUG at|WARNING:|UBSAN:|KASAN|suspicious RCU usage|lockdep|'
    r'possible recursive locking|circular locking|Kernel panic|Oops|'
    r'Kernel mode fault|general protection fault|cut here|Call Trace:|'
    r'end trace|INFO: task .* blocked|rcu: INFO:|detected stalls?\b|'
    r'self-detected stall|soft lockup|hard LOCKUP|unreferenced object|'
    r'list_add corruption|list_del corruption|refcount_t:')
# A stack frame: its function names ("lockdep_...", "kasan_...") are not a
# report of their own.
FRAME_RE = re.compile(r'^\s*\[<[0-9a-f]+>\]')
TIMESTAMP_RE = re.compile(r'^\[\s*\d+\.\d+\]\s?')
RESULT_RE = re.compile(r'^(not ok|ok) (\d+)(?: -)?(?: (.*?))?(?:\s+#\s*(\S+)(.*))?$')
PLAN_RE = re.compile(r'^1\.\.(\d+)')
SUBTEST_RE = re.compile(r'^# Subtest: (.*)$')
STATS_RE = re.compile(r'^# (.+): pass:(\d+) fail:(\d+) skip:(\d+) total:(\d+)$')
SUITE_DEF_RE = re.compile(
    r'struct\s+kunit_suite\s+\w+\s*=\s*\{.*?\.name\s*=\s*"([^"]+)"', re.S)

# Reports this checker lets through: each by the exact text of its headline
# (fullmatch; only what varies between the default and debug builds, the
# code offsets, is a pattern), only before the first "KTAP version 1" line,
# at most `max` times. The block it heads, from the "cut here" line before
# it to the "end trace" line after it, is skipped only while its lines look
# like the trace of a WARNING (TRACE_LINE_RE): anything else in it is
# checked as usual.
KNOWN_NOISE = [
    {
        # UML's virtio PCI emulation WARNs in its init when kunit.py gives
        # it no virtio device (arch/um/drivers/virt-pci.c, um_pci_init());
        # nothing to do with kservice. The path before arch/ is the source
        # tree as seen from the build dir; the debug build prints the
        # function as a bare address.
        'headline': re.compile(
            r'WARNING: CPU: 0 PID: 1 at (\S+/)?arch/um/drivers/virt-pci\.c:886 '
            r'(um_pci_init\+0x[0-9a-f]+/0x[0-9a-f]+|0x[0-9a-f]+)'),
        'message': 'No virtio device ID configured for PCI - no PCI support',
        'max': 1,
    },
]
CUT_RE = re.compile(r'^-+\[ cut here \]-+$')
END_TRACE_RE = re.compile(r'^-+\[ end trace [0-9a-f]+ \]-+$')
TRACE_LINE_RE = re.compile(
    r'^(Modules linked in:.*'
    r'|CPU: \d+ PID: \d+ Comm: \S+ (Not tainted|Tainted: [A-Z ]+) \S+ #\S+.*'
    r'|Hardware name: .*'
    r'|Stack:'
    r'|\s*([0-9a-f]{8,16} ?)+'
    r'|Call Trace:'
    r'|\s*\[<[0-9a-f]+>\] (\? )?([\w.]+\+0x[0-9a-f]+/0x[0-9a-f]+|0x[0-9a-f]+)'
    r'|irq event stamp: \d+'
    r'|(hard|soft)irqs last +(en|dis)abled at \(\d+\): \[<[0-9a-f]+>\] \S+)$')


def suite_names(paths):
    names = []
    for p in paths:
        try:
            with open(p, encoding='utf-8', errors='replace') as f:
                text = re.sub(r'/\*.*?\*/|//[^\n]*', '', f.read(), flags=re.S)
        except OSError as e:
            print(f'ktap_check: cannot read {p}: {e}')
            continue
        names += SUITE_DEF_RE.findall(text)
    return names


def read_skip_allow(path):
    """{"suite.case": reason}, or a string saying what is wrong."""
    allow = {}
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except OSError as e:
        return f'cannot read the skip allow-list {path}: {e}'
    for n, line in enumerate(text.splitlines(), 1):
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 1)
        if len(parts) < 2 or '.' not in parts[0]:
            return (f'{path}:{n}: want "<suite>.<case> <reason>", '
                    f'got "{line}"')
        allow[parts[0]] = parts[1]
    return allow


def strip_ts(line):
    return TIMESTAMP_RE.sub('', line)


def allowed_noise(lines, header):
    """Indices of the lines of known boot noise (see KNOWN_NOISE)."""
    allowed = set()
    seen = [0] * len(KNOWN_NOISE)
    for i in range(header):
        text = strip_ts(lines[i]).rstrip()
        for k, noise in enumerate(KNOWN_NOISE):
            if not noise['headline'].fullmatch(text) or seen[k] >= noise['max']:
                continue
            seen[k] += 1
            allowed.add(i)
            if i > 0 and CUT_RE.match(strip_ts(lines[i - 1]).rstrip()):
                allowed.add(i - 1)
            j = i + 1
            if (j < header and noise.get('message') and
                    strip_ts(lines[j]).rstrip() == noise['message']):
                allowed.add(j)
                j += 1
            while j < header:
                t = strip_ts(lines[j]).rstrip()
                if END_TRACE_RE.match(t):
                    allowed.add(j)
                    break
                if not TRACE_LINE_RE.match(t):
                    break
                allowed.add(j)
                j += 1
    return allowed


def main(argv):
    args = argv[1:]
    allow_path = None
    if args[:1] == ['--skip-allow'] and len(args) >= 2:
        allow_path, args = args[1], args[2:]
    if not args or args[0].startswith('-'):
        print(__doc__)
        return 2
    log_path, sources = args[0], args[1:]
    allow = {}
    if allow_path:
        allow = read_skip_allow(allow_path)
        if isinstance(allow, str):
            print('ktap_check: ' + allow)
            print('COUNTS 0 0 0')
            return 2
    with open(log_path, encoding='utf-8', errors='replace') as f:
        lines = f.read().splitlines()

    ok = True
    start = next((i for i, l in enumerate(lines) if 'KTAP version 1' in l), None)
    if start is None:
        start = len(lines)
        print('ktap_check: no "KTAP version 1" line in the log: the kernel did '
              'not get to run the tests')
        ok = False
    prefix_len = lines[start].index('KTAP version 1') if start < len(lines) else 0

    allowed = allowed_noise(lines, start)
    reports = []
    for n, raw in enumerate(lines[:start], 1):
        if n - 1 not in allowed and REPORT_RE.search(raw) and not FRAME_RE.match(raw):
            reports.append((n, raw))
    early = len(reports)
    if early:
        print(f'ktap_check: kernel report before the first test (at boot or '
              f'in an init function such as ksvc_init), log line '
              f'{reports[0][0]}: {reports[0][1].strip()}')

    passed = failed = skipped = missing = 0
    prev_indent = None     # indentation of the previous result line
    plans = {}             # indent -> [planned, seen]
    subtest = {}           # indent -> name of the group its results belong to
    under = {}             # indent -> leaves seen below it since its last result
    stats = {}             # (indent, name) -> skip count of a case's parameters
    totals_skip = None     # skip count of the last "# Totals:" line
    suite_skips = 0        # skips identified in the suite being read
    top_results = []       # (name, verdict) of top-level results: the suites
    skips = []             # (name, what, log line) of every skip
    pending = []           # report lines since the previous result line
    for n, raw in enumerate(lines[start:], start + 1):
        if REPORT_RE.search(raw) and not FRAME_RE.match(raw):
            reports.append((n, raw))
            pending.append((n, raw))
        line = raw[prefix_len:] if len(raw) >= prefix_len else raw
        line = strip_ts(line)
        body = line.lstrip(' \t')
        indent = len(line) - len(body)
        body = body.rstrip()
        m = PLAN_RE.match(body)
        if m:
            plans[indent] = [int(m.group(1)), 0]
            continue
        m = SUBTEST_RE.match(body)
        if m:
            subtest[indent] = m.group(1).strip()
            continue
        m = STATS_RE.match(body)
        if m:
            if m.group(1) == 'Totals':
                totals_skip = int(m.group(4))
            else:
                stats[(indent, m.group(1))] = (int(m.group(4)), int(m.group(5)))
            continue
        m = RESULT_RE.match(body)
        if not m:
            continue
        verdict, name = m.group(1), (m.group(3) or '').strip()
        directive = (m.group(4) or '').upper()
        reason = (m.group(5) or '').strip()
        path = [subtest[d] for d in sorted(subtest) if d <= indent] + [name]
        full = '.'.join(path)
        # deeper levels are finished: count what they announced but never reported
        for d in [d for d in plans if d > indent]:
            planned, seen = plans.pop(d)
            missing += max(0, planned - seen)
        for d in [d for d in subtest if d > indent]:
            del subtest[d]
        if indent in plans:
            plans[indent][1] += 1
        # a result is a leaf (a test case) unless results nested deeper
        # (its subtests) came right before it
        leaf = prev_indent is None or prev_indent <= indent
        prev_indent = indent
        below = under.get(indent, 0)
        for d in [d for d in under if d >= indent]:
            del under[d]
        if leaf:
            for d in range(indent):
                under[d] = under.get(d, 0) + 1
        if indent == 0:
            top_results.append((name, verdict, directive))

        # Skips. A parameter's own line says "ok" even when it skipped
        # (6.1): its case's "# <case>: pass:.. skip:N" line tells.
        skip_now = 0
        if directive == 'SKIP' and indent == 0:
            print(f'ktap_check: FAILED: suite {name} was skipped as a whole '
                  f'(log line {n}){": " + reason if reason else ""}')
            ok = False
        elif directive == 'SKIP':
            skip_now = 1 if leaf else below
            skips.append((full, 'skipped' + (f': {reason}' if reason else ''), n))
        elif indent > 0 and not leaf and stats.get((indent, name), (0, 0))[0]:
            skip_now, total = stats[(indent, name)]
            skips.append((full, f'{skip_now} of its {total} parameters skipped', n))
        if not leaf and skip_now:
            # its parameters were counted as passed
            passed -= skip_now
            skipped += skip_now
        elif leaf and skip_now:
            skipped += 1
        suite_skips += skip_now
        if indent == 0:
            # "# Totals: ... skip:N" before a suite's result counts every
            # skipped case and parameter: all must have been seen above.
            if totals_skip is not None and totals_skip != suite_skips:
                print(f'ktap_check: FAILED: suite {name}: its totals say '
                      f'{totals_skip} skipped, {suite_skips} found in its '
                      'results')
                ok = False
            totals_skip = None
            stats.clear()
            suite_skips = 0

        culprit, pending = pending, []
        if culprit:
            # a KASAN/lockdep/WARN report does not fail the case in 6.1: do it
            print(f'ktap_check: FAILED: {full}: kernel report while it ran, '
                  f'log line {culprit[0][0]}: {culprit[0][1].strip()}')
            failed += 1     # counted once, whatever KTAP said about it
            continue
        if not leaf or skip_now:
            continue
        if verdict == 'ok':
            passed += 1
        else:
            failed += 1
            print(f'ktap_check: FAILED: {full} (log line {n})')
    for planned, seen in plans.values():
        missing += max(0, planned - seen)
    if missing:
        print(f'ktap_check: {missing} planned test(s) never reported a result '
              '(crash or hang?); counted as failed')
        failed += missing
        ok = False
    if failed:
        ok = False

    used = set()
    for full, what, n in skips:
        key = next((k for k in allow if full == k or full.startswith(k + '.')), None)
        if key:
            used.add(key)
            print(f'ktap_check: skip allowed: {full} ({what}, log line {n}); '
                  f'allow-list: {allow[key]}')
        else:
            print(f'ktap_check: FAILED: {full} {what} (log line {n}); not on '
                  'the skip allow-list')
            ok = False
    for key in sorted(set(allow) - used):
        print(f'ktap_check: note: {key} is on the skip allow-list but did not skip')

    if reports:
        ok = False
        print(f'ktap_check: {len(reports)} kernel report line(s) '
              f'({early} before the first test) '
              '(KASAN/lockdep/RCU/UBSAN/WARN/BUG/panic/stall); the first lines of each:')
        shown = set()
        for n, raw in reports[:10]:
            if n - 1 in shown:
                continue
            for k in range(max(0, n - 2), min(n + 8, len(lines))):
                shown.add(k)
                print(f'  {k + 1:6}: {lines[k]}')
            print('  ...')
        if pending:
            print('ktap_check: kernel report(s) after the last test result '
                  f'(log line {pending[0][0]}): {pending[0][1].strip()}')

    ran = [name for name, _, _ in top_results]
    print('ktap_check: suites that ran: ' + (', '.join(ran) if ran else '(none)'))
    expected = suite_names(sources)
    if not expected:
        print('ktap_check: found no "struct kunit_suite ... .name = \\"...\\"" in '
              + (' '.join(sources) if sources else '(no test sources given)'))
        ok = False
    else:
        missing_suites = [s for s in expected if s not in ran]
        if len(missing_suites) == len(expected):
            print('ktap_check: no kservice test suite ran (expected: '
                  + ', '.join(expected) + ')')
            ok = False
        elif missing_suites:
            print('ktap_check: kservice suites that did not run: '
                  + ', '.join(missing_suites))
            ok = False
    print(f'COUNTS {passed} {failed} {skipped}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
