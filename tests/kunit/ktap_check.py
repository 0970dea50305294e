#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks the raw console log of a KUnit run under UML (build_dir/test.log).

Independent of kunit.py's own verdict, it
  * counts the test cases (leaves of the KTAP tree) that passed, failed or
    were skipped; cases announced by a plan line ("1..N") but never reported
    (the kernel died mid-suite) count as failed;
  * greps everything after the first "KTAP version 1" line for kernel
    reports that KUnit does not turn into failures (KASAN, lockdep, RCU,
    UBSAN, WARN/BUG, panic); what comes before it is boot noise (UML's virt-pci
    WARNING) and is ignored;
  * checks that the expected suites (the kunit_suite names found in the
    kservice test sources) ran, and that at least one of them did.

Usage: ktap_check.py LOG TEST_SOURCE...
The last line printed is "COUNTS <passed> <failed> <skipped>"; the exit
status is 0 when all checks pass, 1 otherwise.
"""

import re
import sys

REPORT_RE = re.compile(
    r'BUG:|WARNING:|UBSAN:|KASAN|suspicious RCU usage|lockdep|'
    r'possible recursive locking|circular locking|Kernel panic|Oops:')
# stack frames of a report already caught by its headline ("lockdep_..." functions)
FRAME_RE = re.compile(r'^\s*\[<[0-9a-f]+>\]')
TIMESTAMP_RE = re.compile(r'^\[\s*\d+\.\d+\]\s?')
RESULT_RE = re.compile(r'^(not ok|ok) (\d+)(?: -)?(?: (.*?))?(?:\s+#\s*(\S+)(.*))?$')
PLAN_RE = re.compile(r'^1\.\.(\d+)')
SUITE_DEF_RE = re.compile(
    r'struct\s+kunit_suite\s+\w+\s*=\s*\{.*?\.name\s*=\s*"([^"]+)"', re.S)


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


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    log_path, sources = argv[1], argv[2:]
    with open(log_path, encoding='utf-8', errors='replace') as f:
        lines = f.read().splitlines()

    ok = True
    start = next((i for i, l in enumerate(lines) if 'KTAP version 1' in l), None)
    if start is None:
        print('ktap_check: no "KTAP version 1" line in the log: the kernel did '
              'not get to run the tests')
        print('COUNTS 0 0 0')
        return 1
    prefix_len = lines[start].index('KTAP version 1')

    passed = failed = skipped = missing = 0
    prev_indent = None     # indentation of the previous result line
    plans = {}             # indent -> [planned, seen]
    top_results = []       # (name, verdict) of top-level results: the suites
    reports = []
    pending = []           # report lines since the previous result line
    for n, raw in enumerate(lines[start:], start + 1):
        if REPORT_RE.search(raw) and not FRAME_RE.match(raw):
            reports.append((n, raw))
            pending.append((n, raw))
        line = raw[prefix_len:] if len(raw) >= prefix_len else raw
        line = TIMESTAMP_RE.sub('', line)
        body = line.lstrip(' \t')
        indent = len(line) - len(body)
        body = body.rstrip()
        m = PLAN_RE.match(body)
        if m:
            plans[indent] = [int(m.group(1)), 0]
            continue
        m = RESULT_RE.match(body)
        if not m:
            continue
        verdict, name = m.group(1), (m.group(3) or '').strip()
        directive = (m.group(4) or '').upper()
        # deeper levels are finished: count what they announced but never reported
        for d in [d for d in plans if d > indent]:
            planned, seen = plans.pop(d)
            missing += max(0, planned - seen)
        if indent in plans:
            plans[indent][1] += 1
        # a result is a leaf (a test case) unless results nested deeper
        # (its subtests) came right before it
        leaf = prev_indent is None or prev_indent <= indent
        prev_indent = indent
        if indent == 0:
            top_results.append((name, verdict, directive))
        culprit, pending = pending, []
        if culprit:
            # a KASAN/lockdep/WARN report does not fail the case in 6.1: do it
            print(f'ktap_check: FAILED: {name}: kernel report while it ran, '
                  f'log line {culprit[0][0]}: {culprit[0][1].strip()}')
            failed += 1     # counted once, whatever KTAP said about it
            continue
        if not leaf:
            continue
        if directive == 'SKIP':
            skipped += 1
        elif verdict == 'ok':
            passed += 1
        else:
            failed += 1
            print(f'ktap_check: FAILED: {name} (log line {n})')
    for planned, seen in plans.values():
        missing += max(0, planned - seen)
    if missing:
        print(f'ktap_check: {missing} planned test(s) never reported a result '
              '(crash or hang?); counted as failed')
        failed += missing
        ok = False
    if failed:
        ok = False

    if reports:
        ok = False
        print(f'ktap_check: {len(reports)} kernel report(s) after the KTAP '
              'header (KASAN/lockdep/RCU/UBSAN/WARN/BUG); the first lines of each:')
        shown = set()
        for n, raw in reports[:10]:
            if n - 1 in shown:
                continue
            for k in range(n - 1, min(n + 8, len(lines))):
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
