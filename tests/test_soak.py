"""The state store under stress: 50 concurrent runs x 20 rounds on one state
directory, some killed with SIGKILL at random, while the link failure counters
grow (so that runs write, not only read); then every state file loads and no
run that finished printed a traceback or left the plugin API."""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from check_bonding import baseline
from helpers import EXAMPLES

pytestmark = pytest.mark.slow  # the fast lane (-m "not slow") leaves it out

CONCURRENT, ROUNDS = 50, 20


def flap(root):
    """One more link failure on every slave, the file replaced as a whole."""
    for proc in (root / 'proc/net/bonding').iterdir():
        text = re.sub(r'Link Failure Count: (\d+)',
                      lambda m: f'Link Failure Count: {int(m[1]) + 1}', proc.read_text())
        (root / 'new').write_text(text)
        os.replace(root / 'new', proc)


def test_soak_concurrent_runs_with_random_sigkills(state_dir, tmp_path):
    rng = random.Random(7)
    root = shutil.copytree(EXAMPLES / 'seed-failover', tmp_path / 'host')
    argv = [sys.executable, '-m', 'check_bonding', '--root', str(root),
            '--state-dir', str(state_dir)]
    finished = killed = 0
    for _ in range(ROUNDS):
        flap(root)
        runs = [subprocess.Popen(argv + rng.choice([[], ['-b', 'bond0'], ['-b', 'bond1']]),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(CONCURRENT)]
        time.sleep(rng.random() * 0.15)
        flap(root)
        time.sleep(rng.random() * 0.15)
        for run in rng.sample(runs, CONCURRENT // 5):
            run.send_signal(signal.SIGKILL)
        for run in runs:
            out, err = run.communicate(timeout=120)
            if run.returncode == -signal.SIGKILL:
                killed += 1
                continue
            finished += 1
            assert run.returncode in (0, 1, 2, 3), out + err
            assert out.startswith('BONDING ') and 'Traceback' not in out + err, out + err
    files = sorted(state_dir.glob('*.json'))
    assert len(files) == 2 and finished > ROUNDS * CONCURRENT // 2 and killed > 0
    for path in files:
        state = json.loads(path.read_text())
        assert baseline.valid_state(state)
        assert any(e[1] == baseline.FAILURE for e in state['events'])
    flap(root)
    subprocess.run(argv, capture_output=True, timeout=60)  # a write replaces what killed runs left
    assert not list(state_dir.glob('*.tmp'))
