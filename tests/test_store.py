"""Baseline files: atomic, locked, and careful with what is already there."""
import json
import os
import pwd
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from check_bonding import baseline, flaps
from check_bonding.parse import Bond, Slave
from check_bonding.state_dir import default_state_dir
from check_bonding.store import BaselineStore, root_tag, state_path
from helpers import EXAMPLES

SEED = EXAMPLES / 'seed-failover'


def bond(count=0):
    return Bond(name='bond0', mode='active-backup', active_slave='eth0', mii_status='up',
                slaves=[Slave(name='eth0', mii_status='up', link_failures=count,
                              perm_hwaddr='aa:01')])


def store(directory, now=1000.0, reset=False):
    return BaselineStore(str(directory), '/', 3600, reset, lambda: now)


def warnings(report):
    return [f.text for f in report.findings if f.state.code == 1]


def test_state_survives_between_runs_and_counts_a_flap(state_dir):
    store(state_dir, 1000).update(bond(0), 'boot')
    report = store(state_dir, 1300).update(bond(2), 'boot')
    assert report.counts == {'eth0': 2}
    path = state_path(str(state_dir), 'bond0', root_tag('/'))
    assert oct(os.stat(path).st_mode & 0o777) == '0o600'
    assert oct(os.stat(state_dir).st_mode & 0o777) == '0o700'
    assert baseline.valid_state(json.load(open(path)))


def test_one_file_per_root_and_bond(state_dir):
    assert state_path('/d', 'bond0', root_tag('/')) == '/d/bond0.json'
    other = state_path('/d', 'bond0', root_tag('/srv/capture'))
    assert other.startswith('/d/bond0@') and other != state_path('/d', 'bond0', root_tag('/srv/x'))


@pytest.mark.parametrize('content, why', [
    ('{"format": 1, "slaves": {', 'unreadable'),
    ('', None),
    ('\x00\xff garbage', 'unreadable'),
    ('{"cookie": "of another program"}', 'foreign format'),
    ('[1, 2]', 'unreadable'),
])
def test_damaged_or_foreign_file_is_set_aside_with_a_warning(state_dir, content, why):
    state_dir.mkdir(mode=0o700)
    path = state_dir / 'bond0.json'
    path.write_text(content, encoding='latin-1')
    path.chmod(0o600)
    report = store(state_dir).update(bond(), 'boot')
    if why is None:  # an empty file is a first run, nothing to set aside
        assert warnings(report) == [] and list(state_dir.iterdir()) == [path]
        return
    assert warnings(report) == [f'state file {path} {why}: set aside as {path}.bad-1000, '
                                'new baseline'] or why in warnings(report)[0]
    assert (state_dir / 'bond0.json.bad-1000').read_text(encoding='latin-1') == content
    assert baseline.valid_state(json.load(open(path)))


def test_symlinked_state_file_is_refused(state_dir, tmp_path):
    state_dir.mkdir(mode=0o700)
    target = tmp_path / 'victim'
    target.write_text('precious')
    (state_dir / 'bond0.json').symlink_to(target)
    report = store(state_dir).update(bond(), 'boot')
    assert any('is a symlink; refusing to use it' in w for w in warnings(report))
    assert target.read_text() == 'precious'


@pytest.mark.skipif(os.geteuid() != 0, reason='needs root to chown')
def test_state_file_of_another_user_is_refused(state_dir):
    state_dir.mkdir(mode=0o700)
    path = state_dir / 'bond0.json'
    path.write_text('{}')
    os.chown(path, 65534, 65534)
    report = store(state_dir).update(bond(), 'boot')
    assert warnings(report) == [f'cannot store baseline: {path} is not a regular file of root; '
                                f'refusing to use it (remove it, or chown root {path})']
    assert path.read_text() == '{}'


def test_unwritable_state_dir_warns_with_path_owner_and_fix(tmp_path):
    user = pwd.getpwuid(os.geteuid()).pw_name
    blocker = tmp_path / 'file'
    blocker.write_text('')
    blocker.chmod(0o644)
    report = store(blocker / 'sub').update(bond(), 'boot')
    assert warnings(report) == [f'cannot store baseline in {blocker}/sub: Not a directory '
                                f'(file {blocker} of {user}, mode 0644); give --state-dir a '
                                'writable directory']


def test_unwritable_state_never_hides_a_critical(check, tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('')
    result = check('--root', SEED, '-b', 'bond0', '-c', '2:', '--state-dir', blocker)
    assert result.code == 2
    assert 'cannot store baseline in' in result.first_line
    assert check('--root', SEED, '-b', 'bond1', '--state-dir', blocker).code == 1


def test_no_state_writes_nothing(check, state_dir):
    assert check('--root', SEED, '-b', 'bond1', '--no-state').code == 0
    assert not state_dir.exists()


def test_default_state_dir_prefers_systemd_then_var_lib_then_xdg(tmp_path):
    assert default_state_dir({'STATE_DIRECTORY': '/run/x:/run/y'}) == '/run/x'
    chosen = default_state_dir({'XDG_STATE_HOME': str(tmp_path)})
    assert chosen in ('/var/lib/check_bonding', f'{tmp_path}/check_bonding')
    assert not chosen.startswith('/tmp/check_bonding')


JOINER = '''
import sys, time
from check_bonding.parse import Bond, Slave
from check_bonding.store import BaselineStore
directory, me, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
bond = Bond(name='bond0', active_slave='eth0', slaves=[
    Slave(name='eth0', mii_status='up', link_failures=0, perm_hwaddr='aa'),
    Slave(name=me, mii_status='up', link_failures=0)])
store = BaselineStore(directory, '/', 3600, False, time.time)
time.sleep(max(0, start - time.time()))
store.update(bond, 'boot')
'''


@pytest.mark.slow  # dozens of processes, 3 s
def test_concurrent_runs_serialise_and_none_loses_its_update(state_dir):
    """24 processes released at one instant, each seeing its own new slave:
    every one's "joined" event must be in the history. Without the lock
    they read the same baseline and the last rename drops the others' events."""
    store(state_dir, time.time()).update(bond(0), 'boot')
    start = time.time() + 3  # all started and imported by then
    runs = [subprocess.Popen([sys.executable, '-c', JOINER, str(state_dir), f'x{n}', str(start)],
                             stderr=subprocess.PIPE, text=True) for n in range(24)]
    errors = [p.communicate(timeout=120)[1] for p in runs]
    assert [p.returncode for p in runs] == [0] * 24, errors
    state = json.load(open(state_path(str(state_dir), 'bond0', root_tag('/'))))
    assert baseline.valid_state(state)
    joined = sorted(e[2] for e in state['events'] if e[1] == baseline.JOINED)
    assert joined == sorted(f'x{n}' for n in range(24))


def test_a_quiet_run_does_not_rewrite_the_file_and_a_change_replaces_it(state_dir):
    path = Path(state_path(str(state_dir), 'bond0', root_tag('/')))
    store(state_dir, 1000).update(bond(0), 'boot')
    written = path.stat()
    assert store(state_dir, 1300).update(bond(0), 'boot').total == 0
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    assert store(state_dir, 1600).update(bond(1), 'boot').total == 1
    assert path.stat().st_ino != written.st_ino
    assert json.loads(path.read_text())['time'] == 1600 and list(state_dir.iterdir()) == [path]


WRITER = '''
import sys
from check_bonding.parse import Bond, Slave
from check_bonding.store import BaselineStore
store = BaselineStore(sys.argv[1], '/', 3600, False, __import__('time').time)
for count in range(100000):
    store.update(Bond(name='bond0', active_slave='eth0', slaves=[
        Slave(name='eth0', mii_status='up', link_failures=count, perm_hwaddr='aa')]), 'boot')
'''


@pytest.mark.slow  # 15 rounds of kills, 7 s of waiting (the fast lane leaves it out)
def test_sigkill_at_random_points_always_leaves_a_loadable_baseline(state_dir):
    rng = random.Random(4)
    path = state_dir / 'bond0.json'
    for _ in range(15):
        writers = [subprocess.Popen([sys.executable, '-c', WRITER, str(state_dir)])
                   for _ in range(2)]
        deadline = time.monotonic() + 60  # the first write, however busy the machine
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3 + rng.random() * 0.3)
        for w in writers:
            w.send_signal(signal.SIGKILL)
            w.wait()
        assert baseline.valid_state(json.load(open(path)))
    report = store(state_dir, time.time()).update(bond(10 ** 6), 'boot')
    assert report.total > 0
    assert not [w for w in warnings(report) if 'state' in w or 'baseline' in w]
    assert [p.name for p in state_dir.iterdir()] == ['bond0.json']


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which('setpriv'),
                    reason='needs root and setpriv to run as nobody')
def test_read_only_state_dir_for_the_nrpe_user_is_a_warning_with_the_fix():
    top = tempfile.mkdtemp()  # traversable by nobody, unlike pytest's tmp_path
    os.chmod(top, 0o755)
    read_only = Path(top) / 'state'
    read_only.mkdir(mode=0o755)  # root's: nobody may not write here
    result = subprocess.run(
        ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', sys.executable,
         '-m', 'check_bonding', '--root', str(SEED), '-b', 'bond1', '--state-dir',
         str(read_only)], capture_output=True, text=True, timeout=60,
        cwd='/', env={'PYTHONPATH': os.path.dirname(os.path.dirname(flaps.__file__))})
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith(
        f'BONDING WARNING - bond1: cannot store baseline in {read_only}/bond1@')
    assert (f': Permission denied (directory {read_only} of root, mode 0755); this check runs as '
            f'nobody: install -d -o nobody -m 700 {read_only}, or --state-dir a directory of '
            'nobody'
            in result.stdout)
    assert list(read_only.iterdir()) == []
    shutil.rmtree(top)


def as_nobody(*argv, env=None):
    return subprocess.run(
        ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', sys.executable,
         '-m', 'check_bonding', *map(str, argv)], capture_output=True, text=True, timeout=60,
        cwd='/', env={'PYTHONPATH': os.path.dirname(os.path.dirname(flaps.__file__)),
                      **(env or {})})


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which('setpriv'),
                    reason='needs root and setpriv to run as nobody')
def test_root_running_the_check_by_hand_does_not_break_the_agents_baseline():
    """The agent (here nobody) owns its state directory; an admin runs the
    check by hand as root in between, and the cable flaps meanwhile. The
    agent's next run still stores its baseline and sees the failure."""
    top = Path(tempfile.mkdtemp())
    try:
        os.chmod(top, 0o755)
        tree = top / 'tree'
        shutil.copytree(SEED, tree)
        agent_dir = top / 'state'
        agent_dir.mkdir(mode=0o700)
        os.chown(agent_dir, 65534, 65534)
        assert as_nobody('--root', tree, '-b', 'bond1', '--state-dir', agent_dir).returncode == 0
        by_hand = run_process('--root', tree, '-b', 'bond1', '--state-dir', agent_dir)
        assert by_hand.returncode == 0, by_hand.stdout
        [state_file] = agent_dir.iterdir()
        assert state_file.stat().st_uid == 65534  # still the agent's
        proc = tree / 'proc/net/bonding/bond1'
        proc.write_text(proc.read_text().replace('Link Failure Count: 2', 'Link Failure Count: 3',
                                                 1))
        agent = as_nobody('--root', tree, '-b', 'bond1', '--state-dir', agent_dir)
        assert agent.returncode == 1, agent.stdout
        assert agent.stdout.startswith('BONDING WARNING - bond1: eth2 link failed 1 time')
        assert 'cannot store' not in agent.stdout
        assert [p.stat().st_uid for p in agent_dir.iterdir()] == [65534]
    finally:
        shutil.rmtree(top)


def run_process(*argv):
    return subprocess.run([sys.executable, '-m', 'check_bonding', *map(str, argv)],
                          capture_output=True, text=True, timeout=60)


def many_slaves(count):
    return Bond(name='bond0', mode='balance-rr', mii_status='up', slaves=[
        Slave(name=f'eth{i}', mii_status='up', link_failures=i,
              perm_hwaddr=f'52:54:00:00:{i // 256:02x}:{i % 256:02x}') for i in range(count)])


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which('mount'),
                    reason='needs root to mount a small tmpfs')
def test_a_full_disk_stores_no_torn_baseline_and_says_so():
    """On a nearly full tmpfs the state file fits only in part: no torn file may
    be renamed into place, the run says it could not store, and the next runs
    neither take a damaged file nor pile up set-aside copies."""
    top = Path(tempfile.mkdtemp())
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', str(top)], check=True)
    try:
        filler = top / 'filler'
        with open(filler, 'wb') as out:  # leave a little under 8 KiB free
            try:
                out.write(b'x' * 60 * 1024)
            except OSError:
                pass
        free = os.statvfs(top).f_bavail * os.statvfs(top).f_frsize
        assert 0 < free < 16 * 1024, free
        state_dir = top / 'state'
        for now in (1000, 1300, 1600):
            report = store(state_dir, now).update(many_slaves(200), 'boot')
            assert any(w.startswith('cannot store baseline in ') and 'No space left on device'
                       in w for w in warnings(report)), warnings(report)
            assert not report.failures_known or report.total == 0
            assert [p.name for p in state_dir.iterdir()] in ([], ['bond0.json'])
            path = state_dir / 'bond0.json'
            assert not path.exists() or path.stat().st_size == 0
        filler.unlink()
        report = store(state_dir, 1900).update(many_slaves(200), 'boot')
        assert warnings(report) == []
        assert baseline.valid_state(json.loads((state_dir / 'bond0.json').read_text()))
        assert sorted(p.name for p in state_dir.iterdir()) == ['bond0.json']
    finally:
        subprocess.run(['umount', str(top)], check=True)
        top.rmdir()


def test_a_damaged_file_that_cannot_be_replaced_is_set_aside_once(state_dir, monkeypatch):
    state_dir.mkdir(mode=0o700)
    path = state_dir / 'bond0.json'
    path.write_text('{"format": 1, "slaves": {')
    path.chmod(0o600)

    def disk_full(self):
        raise OSError(28, 'No space left on device', self.path)
    monkeypatch.setattr('check_bonding.store.StateFile.commit', disk_full)
    first = warnings(store(state_dir, 1000).update(bond(), 'boot'))
    second = warnings(store(state_dir, 1300).update(bond(), 'boot'))
    assert 'set aside as' in first[0] and 'set aside before' in second[0]
    assert all('No space left on device' in w[-1] for w in (first, second))
    assert sorted(p.name for p in state_dir.iterdir()) == ['bond0.json', 'bond0.json.bad-1000']


def test_a_file_of_the_release_before_loads_with_its_baseline_and_is_upgraded(state_dir):
    """State format 2 (named counters); a format 1 file (1.0.0) is no 'damaged' file
    and no new baseline: its count is the baseline, its events stay in the window."""
    state_dir.mkdir()
    path = state_path(str(state_dir), 'bond0', root_tag('/'))
    with open(path, 'w') as out:
        json.dump({'format': 1, 'bond': 'bond0', 'boot_id': 'boot', 'time': 900.0,
                   'mode': 'active-backup', 'active': 'eth0',
                   'slaves': {'eth0': {'link_failures': 1, 'perm_hwaddr': 'aa:01'}},
                   'events': [[900.0, 'link-failure', 'eth0', 1]]}, out)
    os.chmod(path, 0o600)
    report = store(state_dir, 1000).update(bond(2), 'boot', {'eth0': 42})
    assert [f.name for f in report.findings] == []
    assert report.counts == {'eth0': 2}  # the stored event and the new failure
    upgraded = json.load(open(path))
    assert upgraded['format'] == 2 and baseline.valid_state(upgraded)
    assert upgraded['slaves']['eth0'] == {'perm_hwaddr': 'aa:01', 'instance': 42,
                                          'no_link_since': None,
                                          'counters': {'link_failures': 2}}
