#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Self-test of ktap_check.py, run by `make check-kunit` before the kernel.

Every log under fixtures/ is a UML console log shaped like a real
build_dir/test.log (the clean one is a real one, cut to two suites; the
others are it with one fault planted). Each must get the verdict below AND
say why: a fixture that fails for some other reason fails this test.
"""

import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, 'fixtures')
CHECK = os.path.join(HERE, 'ktap_check.py')
SUITES = os.path.join(FIX, 'suites.c')
NO_SKIPS = os.path.join(FIX, 'skip-allow-empty')

# fixture, exit status, texts the output must contain, skip allow-list
CASES = [
    ('clean.log', 0, ['COUNTS 28 0 0'], NO_SKIPS),
    ('warn-before-header.log', 1,
     ['kernel report before the first test (at boot or in an init function '
      'such as ksvc_init), log line 96: ------------[ cut here ]',
      'net/kservice/main.c:93 ksvc_init+'], NO_SKIPS),
    ('kasan-before-header.log', 1,
     ['kernel report before the first test (at boot or in an init function '
      'such as ksvc_init), log line 142: BUG: KASAN: slab-out-of-bounds in ksvc_init+0x6e/0x1a4',
      'Read of size 1 at addr'], NO_SKIPS),
    ('crash-mid-suite.log', 1,
     ['9 planned test(s) never reported a result',
      'Kernel panic - not syncing: Segfault with no mm'], NO_SKIPS),
    ('other-virt-pci-warning.log', 1,
     ['kernel report before the first test (at boot or in an init function '
      'such as ksvc_init), log line 57: ------------[ cut here ]',
      'virt-pci.c:881 um_pci_init+0x62/0xa2'], NO_SKIPS),
    ('second-warning-in-noise.log', 1,
     ['kernel report before the first test (at boot or in an init function '
      'such as ksvc_init), log line 88: ------------[ cut here ]',
      'net/kservice/main.c:93 ksvc_init+0x1d/0xd2'], NO_SKIPS),
    ('missing-suite.log', 1,
     ['kservice suites that did not run: kservice_sched'], NO_SKIPS),
    ('skipped-case.log', 1,
     ['FAILED: kservice_table.table_test_swap_keeps_old_set skipped: a grace '
      'period ended during the swap (log line 140); not on the skip '
      'allow-list', 'COUNTS 27 0 1'], NO_SKIPS),
    ('skipped-case.log', 0,
     ['skip allowed: kservice_table.table_test_swap_keeps_old_set',
      'COUNTS 27 0 1'], os.path.join(FIX, 'skip-allow-swap')),
    ('skipped-param.log', 1,
     ['FAILED: kservice_sched.sched_test_weights_proportional 1 of its 5 '
      'parameters skipped (log line 159); not on the skip allow-list',
      'COUNTS 27 0 1'], NO_SKIPS),
    ('skipped-suite.log', 1,
     ['FAILED: suite kservice_table was skipped as a whole (log line 146)',
      'COUNTS 19 0 9'], os.path.join(FIX, 'skip-allow-table')),
    ('skipped-case.log', 2, ['want "<suite>.<case> <reason>"'],
     os.path.join(FIX, 'skip-allow-no-reason')),
]


def run(log, allow):
    p = subprocess.run([sys.executable, CHECK, '--skip-allow', allow,
                        os.path.join(FIX, log), SUITES],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, check=False)
    return p.returncode, p.stdout


class KtapCheck(unittest.TestCase):
    def test_fixtures(self):
        for log, rc, texts, allow in CASES:
            with self.subTest(log=log, allow=os.path.basename(allow)):
                got, out = run(log, allow)
                self.assertEqual(got, rc, f'{log}: exit {got}, want {rc}:\n{out}')
                for text in texts:
                    self.assertIn(text, out,
                                  f'{log}: output lacks "{text}":\n{out}')

    def test_every_fixture_is_used(self):
        used = {log for log, _, _, _ in CASES}
        logs = {f for f in os.listdir(FIX) if f.endswith('.log')}
        self.assertEqual(logs - used, set())


if __name__ == '__main__':
    unittest.main(verbosity=2)
