"""Cases through a tool in the Debian 13 chroot, and the recorded copy of what it said.

A batch writes each case's files under <chroot>/tmp/cb-oracle/<tool>/<case>/,
runs one shell script inside the chroot (tools/ci/trixie-chroot.sh run) in a
private mount and network namespace of its own, with the cases' directory as
$1, and reads back every case's `out/` directory. One chroot entry per tool:
the cases loop inside.
"""
import functools
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HELPER = REPO / 'tools/ci/trixie-chroot.sh'
RECORDED = REPO / 'tests/data/oracle'
ENV = 'CB_ORACLE_CHROOT'
RECORD = 'CB_ORACLE_RECORD'
TOOLS = ('usr/sbin/netplan', 'usr/bin/nmcli', 'usr/sbin/ifquery', 'usr/bin/systemd-analyze',
         'usr/lib/systemd/systemd-networkd', 'usr/bin/kmod', 'usr/sbin/NetworkManager',
         'usr/bin/dbus-daemon')
PACKAGES = tuple((Path(__file__).parent / 'CHROOT_PACKAGES').read_text().split())
PRIVATE = ('.yaml', '.nmconnection')  # what the tools want 0600


def root() -> Path:
    """The chroot, or skip saying why."""
    path = os.environ.get(ENV)
    if not path:
        pytest.skip(f'{ENV} is not set: tools/ci/oracle.sh makes the Debian 13 chroot '
                    f'({", ".join(PACKAGES)}) and runs these tests')
    if os.geteuid() != 0:
        pytest.skip('the oracle needs root (chroot, network namespaces)')
    missing = [tool for tool in TOOLS if not (Path(path) / tool).exists()]
    if missing:
        pytest.skip(f'{", ".join(missing)} missing in {path}: tools/ci/oracle.sh installs them')
    return Path(path)


def write_tree(base: Path, files: dict) -> None:
    for relpath, text in files.items():
        path = base / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if relpath.endswith(PRIVATE):
            path.chmod(0o600)


def run_batch(chroot: Path, tool: str, cases: dict, script: str, timeout: int = 900) -> dict:
    """{case: {output file: text}} of `script` run once over every case's tree."""
    work = chroot / 'tmp/cb-oracle' / tool
    shutil.rmtree(work, ignore_errors=True)
    for name, files in cases.items():
        write_tree(work / name, files)
        (work / name / 'out').mkdir()
    done = subprocess.run(['unshare', '--mount', '--net', '--propagation', 'private',
                           str(HELPER), 'run', str(chroot), 'sh', '-ec', script, tool,
                           f'/tmp/cb-oracle/{tool}'],
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f'{tool} batch failed: {done.stdout}{done.stderr}'
    return {name: {str(p.relative_to(work / name / 'out')): p.read_text(errors='replace')
                   for p in sorted((work / name / 'out').rglob('*')) if p.is_file()}
            for name in cases}


def versions(chroot: Path) -> str:
    done = subprocess.run(['dpkg-query', f'--admindir={chroot}/var/lib/dpkg', '-W',
                           '-f', '${Package} ${Version}, ', *PACKAGES],
                          capture_output=True, text=True, timeout=60)
    return 'Debian 13: ' + done.stdout.rstrip(', ')


@functools.lru_cache(maxsize=None)
def recorded(tool: str) -> dict:
    """The recorded copy: {'command', 'made', 'cases': {case: {'input', 'output'}}}."""
    return json.loads((RECORDED / f'{tool}.json').read_text())


def check_recording(chroot: Path, tool: str, command: str, cases: dict, outputs: dict) -> None:
    """Write the copy (CB_ORACLE_RECORD=1), else fail where it is not what the tool says now."""
    live = {name: {'input': cases[name], 'output': outputs[name]} for name in sorted(cases)}
    if os.environ.get(RECORD):
        RECORDED.mkdir(parents=True, exist_ok=True)
        document = {'command': command, 'made': f'tools/ci/oracle.sh --record ({versions(chroot)})',
                    'cases': live}
        (RECORDED / f'{tool}.json').write_text(json.dumps(document, indent=1, sort_keys=True,
                                                          ensure_ascii=False) + '\n')
        return
    copy = json.loads((RECORDED / f'{tool}.json').read_text())['cases']
    stale = sorted(name for name in set(live) | set(copy) if live.get(name) != copy.get(name))
    assert not stale, (f'tests/data/oracle/{tool}.json differs from the live tool for '
                       f'{", ".join(stale[:5])}: run tools/ci/oracle.sh --record')
