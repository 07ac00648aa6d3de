"""Every output of the check on every shipped tree, as one JSON file.

A restructuring must not change what the plugin says. Run this before and
after, then compare the two files:

    python tests/snapshot.py > /tmp/before.json
    ... change the code ...
    python tests/snapshot.py > /tmp/after.json && cmp /tmp/before.json /tmp/after.json

Each tree (examples/, tests/data/fixtures/) is checked with a set of argument
lists, --no-state and with a stored baseline (two runs on a fixed clock).
"""
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers import EXAMPLES, FIXTURES, run_check  # noqa: E402

ARGVS = ['', '-v', '-vv', '-p eth0', '-p eth1 -m 802.3ad -vv', '--slaves eth0,eth9 -v',
         '-w 3: -c 2:', '-b bond0 -b bond9', '-x bond0 -v']


def where_not(output: str) -> str:
    """-v's baseline line names a temporary state directory and a file keyed by
    where the tree lies: neither is output."""
    return re.sub(r'(  baseline: ).*/([^/]+)@[0-9a-f]+\.json', r'\1<state>/\2@<key>.json', output)


def snapshot() -> dict:
    trees = sorted(p for p in [*EXAMPLES.iterdir(), *FIXTURES.iterdir()] if p.is_dir())
    outputs = {}
    for tree in trees:
        name = f'{tree.parent.name}/{tree.name}'
        for argv in ARGVS:
            result = run_check(['--root', tree, '--no-state', *argv.split()])
            # where the tree lies is not output: a move of the test data changes nothing
            outputs[f'{name} --no-state {argv}'] = [result.code,
                                                    result.output.replace(str(tree), '<tree>')]
        with tempfile.TemporaryDirectory() as state:
            for i, now in enumerate((1.7e9, 1.7e9 + 600)):
                result = run_check(['--root', tree, '--state-dir', state, '-v'],
                                   clock=lambda now=now: now)
                outputs[f'{name} state run {i}'] = [result.code, where_not(result.output)]
        outputs.update(flap(tree, name))
    return outputs


def flap(tree: Path, name: str) -> dict:
    """A baseline, then every Link Failure Count one higher and the active slave
    changed: the failures, failover and history wording."""
    outputs = {}
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / 'tree'
        shutil.copytree(tree, copy, symlinks=True)
        run_check(['--root', copy, '--state-dir', Path(tmp) / 'state'], clock=lambda: 1.7e9)
        for proc in (copy / 'proc/net/bonding').glob('*'):
            text = re.sub(r'Link Failure Count: (\d+)',
                          lambda m: f'Link Failure Count: {int(m.group(1)) + 1}', proc.read_text())
            proc.write_text(re.sub(r'Currently Active Slave: eth0', 'Currently Active Slave: eth1',
                                   text))
        for i, argv in enumerate(('', '-v', '--failures-critical 0 -vv')):
            result = run_check(['--root', copy, '--state-dir', Path(tmp) / 'state', *argv.split()],
                               clock=lambda i=i: 1.7e9 + 300 + i)
            outputs[f'{name} flap {argv}'] = [result.code, where_not(result.output)]
    return outputs


if __name__ == '__main__':
    json.dump(snapshot(), sys.stdout, indent=1, sort_keys=True)
    print()
