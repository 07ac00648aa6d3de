"""The kernel scenarios replayed from their captures (tests/data/fixtures/, written by
`python tests/kernel/scenarios.py --dest tests/data/fixtures`): what the real driver
printed, checked in a second without booting it. The 802.3ad ones are replayed
from the root capture and from the unprivileged one (<name>.nobody)."""
import os
import shutil
from pathlib import Path
import subprocess
import sys

import pytest

from helpers import FIXTURES, run_check
from expected import EXPECTED, FIXTURES_ONLY, SECOND_RUN, codes, for_user

VIEWS = {'': 'root', '.nobody': 'nobody'}  # whose capture
CASES = [(name, view, expect) for name, expects in {**EXPECTED, **FIXTURES_ONLY}.items()
         for view in VIEWS if (FIXTURES / f'{name}{view}').is_dir()
         for expect in expects if VIEWS[view] in expect.users]


def test_every_scenario_has_a_fixture():
    assert all((FIXTURES / name).is_dir() for name in {**EXPECTED, **FIXTURES_ONLY})


@pytest.mark.parametrize('name, view, expect', CASES,
                         ids=[f'{n}{v} {e.argv}' for n, v, e in CASES])
def test_fixture_replay(name, view, expect):
    expect = for_user(expect, view == '.nobody')
    result = run_check(['--root', FIXTURES / f'{name}{view}', '--no-state', *expect.argv.split()])
    assert result.code in codes(expect), result.output
    for text in expect.texts:
        assert text in result.output
    for text in expect.absent:
        assert text not in result.output


def test_unprivileged_view_says_which_check_it_skipped_and_raises_no_false_alarm():
    nobody = run_check(['--root', FIXTURES / 'lacp-healthy.nobody', '--no-state', '-v'])
    root = run_check(['--root', FIXTURES / 'lacp-healthy', '--no-state', '-v'])
    assert nobody.code == root.code == 0
    assert 'partner MAC check skipped: the kernel shows it only to CAP_NET_ADMIN' in nobody.output
    assert 'skipped' not in root.output


def test_many_degraded_bonds_keep_the_first_line_short():
    """100 degraded bonds once gave a 29 KB first line (7 KB of text): Nagios keeps
    8 KiB, NRPE 2 1 KiB. The text is summarised; -v keeps every bond's details."""
    result = run_check(['--root', FIXTURES / 'many-degraded', '--no-state'])
    text = result.first_line.split(' | ')[0]
    assert result.code == 1 and len(text) < 400, text
    verbose = run_check(['--root', FIXTURES / 'many-degraded', '--no-state', '-v'])
    assert all(f'  warning: b{i} down' in verbose.output for i in range(100))


# Wrong verdicts: captures of the real driver, changed between two runs with one state directory

def test_one_bond_name_in_two_namespaces_costs_one_read_and_says_what_it_skipped():
    """/proc shows this namespace's bond0, sysfs another's: the first slave's permanent
    address tells them apart (one read, also on a healthy host), and nothing else is
    read from sysfs for it."""
    def reads(tree):
        output = run_check(['--root', FIXTURES / tree, '--no-state', '-vvv']).output
        return [line.split(str(FIXTURES / tree) + '/')[1].split()[0].rstrip(':')
                for line in output.splitlines() if 'read ' in line and '/sys/' in line]
    healthy = reads('ab-healthy')
    assert [r for r in healthy if 'bonding_slave' in r or '/bonding/' in r] == [
        'sys/class/net/eth0/bonding_slave/perm_hwaddr', 'sys/class/net/bond0/bonding/use_carrier',
        'sys/class/net/bond0/bonding/min_links']
    assert reads('netns-one-name-healthy') == [
        'sys/class/net/vA/bonding_slave/perm_hwaddr', 'sys/class/net/bond0/bonding/slaves']


def test_a_permanent_address_printed_longer_in_sysfs_is_the_same_interface(tmp_path):
    """sysfs prints all addr_len bytes of a slave's permanent address (kernels since
    2019), a /proc that printed six (%pM) is the same slave: sysfs is still read (here:
    the bond set down), never skipped as another namespace's."""
    tree = tmp_path / 'tree'
    shutil.copytree(FIXTURES / 'ab-healthy', tree, symlinks=True)
    perm = tree / 'sys/class/net/eth0/bonding_slave/perm_hwaddr'
    perm.write_text(perm.read_text().strip() + ':00:00:00:00:00:00:00:00:00:00:00:00:00:00\n')
    flags = tree / 'sys/class/net/bond0/flags'
    flags.write_text(hex(int(flags.read_text(), 16) & ~1) + '\n')
    result = run_check(['--root', tree, '--no-state', '-v'])
    assert result.code == 2 and result.first_line.startswith(
        'BONDING CRITICAL - bond0: interface set down (administratively)'), result.output
    assert 'another bond0' not in result.output


def test_a_capture_under_two_namespaces_says_so_and_replays_alike(tmp_path):
    tree = FIXTURES / 'netns-one-name-healthy'
    capture = subprocess.run([sys.executable, '-m', 'check_bonding', '--root', tree,
                              '--capture', tmp_path / 'copy'], capture_output=True, text=True)
    assert capture.returncode == 0, capture.stdout + capture.stderr
    assert ('  note: bond0: sysfs shows another bond0 (it lists slaves x0, x1, /proc vA, vB): the '
            'sysfs of another network namespace, copied as it is; the check judges it from /proc '
            'alone\n') in capture.stdout
    replay = run_check(['--root', tmp_path / 'copy', '--no-state', '-v'])
    assert replay.code == 0 and 'ok: sysfs shows another bond0' in replay.output


def test_a_capture_keeps_the_carrier_counters_and_replays_alike(tmp_path):
    tree = FIXTURES / 'ab-downdelay-flap'
    subprocess.run([sys.executable, '-m', 'check_bonding', '--root', tree, '--capture',
                    tmp_path / 'copy'], check=True, capture_output=True)
    for name in ('carrier_changes', 'carrier_up_count', 'carrier_down_count'):
        assert (tmp_path / 'copy/sys/class/net/eth0' / name).read_text() == \
            (tree / 'sys/class/net/eth0' / name).read_text()
    assert run_check(['--root', tmp_path / 'copy', '--no-state']).output == \
        run_check(['--root', tree, '--no-state']).output


def two_runs(tmp_path, fixture, change, clock=(1000, 1300)):
    """The check on a copy of `fixture`, `change(tree)`, the check again (one state dir)."""
    tree = tmp_path / 'tree'
    shutil.copytree(FIXTURES / fixture, tree, symlinks=True)
    argv = ['--root', tree, '-b', 'bond0', '--state-dir', tmp_path / 'state']
    first = run_check(argv, clock=lambda: clock[0])
    change(tree)
    return first, run_check([*argv, '-v'], clock=lambda: clock[1])


def bump(path, by=1):
    path.write_text(f'{int(path.read_text()) + by}\n')


def test_a_link_loss_the_driver_absorbed_is_a_warning_of_its_own(tmp_path):
    """Item 4 on a capture: carrier_down_count one more, Link Failure Count as it was."""
    first, second = two_runs(tmp_path, 'ab-downdelay-flap', lambda tree: bump(
        tree / 'sys/class/net/eth0/carrier_down_count'))
    assert first.code == 0
    assert second.code == 1 and second.first_line.startswith(
        'BONDING WARNING - bond0: eth0 lost its link 1 time in the last 1h, last 0 s ago, '
        'without a link failure counted (back within downdelay 3000 ms)'), second.output
    assert second.perfdata['bond0_absorbed_window'] == '1;;;0'
    lowered = run_check(['--root', tmp_path / 'tree', '-b', 'bond0', '--state-dir',
                         tmp_path / 'state', '--state', 'link-loss-absorbed=ok'],
                        clock=lambda: 1400)
    assert lowered.code == 0


def test_a_slave_enslaved_anew_has_its_new_failure_counted(tmp_path):
    """A tree without the live identities (a capture before they were kept): the
    count as stored, but the bonding_slave directory made anew (as the kernel does
    at each enslavement) is another identity."""
    def reenslave(tree):
        slave = tree / 'sys/devices/virtual/net/eth0/bonding_slave'
        shutil.copytree(slave, slave.with_name('again'))  # made while the old one is there:
        shutil.rmtree(slave)                               # another inode number
        slave.with_name('again').rename(slave)
    assert not (FIXTURES / 'ab-flap/enslavements').exists()
    first, second = two_runs(tmp_path, 'ab-flap', reenslave)
    assert first.code == 0
    assert second.code == 1 and second.first_line.startswith(
        'BONDING WARNING - bond0: eth0 link failed 1 time in the last 1h'), second.output
    assert '  ok: eth0 enslaved again since the last run: its link failures counted from 0' \
        in second.output


def test_a_capture_keeps_the_enslavements_so_trees_made_anew_replay_alike(tmp_path):
    """A copied tree's inode numbers are the copy's: a capture keeps the live ones
    (`enslavements`), so a replay from a tree made anew (rm, cp) is the same
    enslavement, and another number another one."""
    capture = tmp_path / 'capture'
    subprocess.run([sys.executable, '-m', 'check_bonding', '--root', FIXTURES / 'ab-flap',
                    '--capture', capture], check=True, capture_output=True)
    numbers = (capture / 'enslavements').read_text().split()
    assert numbers[0::2] == ['eth0', 'eth1'] and all(n.isdigit() for n in numbers[1::2])

    def replay(change=None):
        tree = tmp_path / 'tree'
        shutil.rmtree(tree, ignore_errors=True)
        shutil.copytree(capture, tree, symlinks=True)
        if change:
            (tree / 'enslavements').write_text(change)
        return run_check(['--root', tree, '-b', 'bond0', '--state-dir', tmp_path / 'state', '-v'])
    assert 'first run' in replay().output
    assert 'enslaved again' not in replay().output
    again = replay(f'eth0 {int(numbers[1]) + 1}\neth1 {numbers[3]}\n')
    assert '  ok: eth0 enslaved again since the last run' in again.output, again.output
    assert 'eth1 enslaved again' not in again.output


# replayed by nobody too: the wrong verdicts of round 2, and the switch side
ROUND_TWO = ('netns-one-name-healthy', 'netns-one-name-degraded', 'arp-ns6-targets',
             'arp-missed-max-active-nocarrier', 'lacp-actor-options', 'lacp-one-switch-two-lags',
             'ab-downdelay-flap', 'ab-reenslaved-flap')
SWITCH_SIDE = ('lldp-one-switch', 'lldp-two-switches', 'lacp-partner-bounced', 'lacp-idle-port')
AS_NOBODY = [(name, view, expect) for name, view, expect in CASES
             if name in ROUND_TWO + SWITCH_SIDE]


# a process as nobody per case, seconds in all (test_fixture_replay replays the same views)
@pytest.mark.slow
@pytest.mark.parametrize('name, view, expect', AS_NOBODY,
                         ids=[f'{n}{v} {e.argv}' for n, v, e in AS_NOBODY])
def test_fixture_replay_as_nobody(name, view, expect, tmp_path):
    """The new scenarios' replays run by the user nobody itself, as NRPE would: one
    clear first line and the exit code the expectation gives, never a traceback."""
    if os.geteuid() != 0 or not shutil.which('setpriv'):
        pytest.skip('needs root (to become nobody) and setpriv')
    expect = for_user(expect, view == '.nobody')
    argv = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', sys.executable,
            '-m', 'check_bonding', '--root', str(FIXTURES / f'{name}{view}'), '--no-state',
            *expect.argv.split()]
    # this tree's check_bonding first: an installed .deb would shadow an editable venv
    tree = {**os.environ, 'PYTHONPATH': str(Path(__file__).resolve().parents[1])}
    run = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd='/', env=tree)
    if run.returncode == 126 or 'Permission denied' in run.stderr:
        pytest.skip(f'nobody cannot run {sys.executable}: {run.stderr.strip()[:100]}')
    assert 'Traceback' not in run.stdout + run.stderr
    assert run.returncode in codes(expect), run.stdout + run.stderr
    for text in expect.texts:
        assert text in run.stdout


def replace_files(source, tree):
    """`tree` made to hold what `source` holds, its directories kept where both have them."""
    for top, dirs, files in os.walk(tree, topdown=False):  # not into symlinks
        for name in files + dirs:
            path = Path(top, name)
            twin = source / path.relative_to(tree)
            if path.is_symlink() or not path.is_dir():
                path.unlink()  # files and links: copied anew below
            elif not twin.is_dir() or twin.is_symlink():
                path.rmdir()
    for top, dirs, files in os.walk(source):
        for name in files + dirs:
            path = Path(top, name)
            copy = tree / path.relative_to(source)
            if path.is_symlink():
                copy.symlink_to(os.readlink(path))
            elif path.is_dir():
                copy.mkdir(exist_ok=True)
            else:
                shutil.copyfile(path, copy)


SECOND = [(name, view, expect) for name, expects in SECOND_RUN.items() for view in VIEWS
          for expect in expects if VIEWS[view] in expect.users]


@pytest.mark.parametrize('name, view, expect', SECOND,
                         ids=[f'{n}{v} {e.argv}' for n, v, e in SECOND])
def test_second_run_replay(tmp_path, name, view, expect):
    """The first run on the tree it read (<name>.baseline), the second on the
    scenario's capture, at one --root path and with one state directory: what
    the live second run said, from the baseline the first one stored. The
    capture is copied over the first tree, so its directories stay those the
    first run saw, as live (a bonding_slave directory made anew is another
    enslavement: system.enslavements)."""
    root, state = tmp_path / 'root', ['--state-dir', tmp_path / 'state']
    shutil.copytree(FIXTURES / f'{name}.baseline{view}', root, symlinks=True)
    first = run_check(['--root', root, *state, '-v', *expect.argv.split()])
    assert 'ok: first run: baseline established' in first.output, first.output
    replace_files(FIXTURES / f'{name}{view}', root)
    result = run_check(['--root', root, *state, '-v', *expect.argv.split()])
    if not any('enslaved again' in text for text in expect.texts):  # the same enslavement
        assert 'enslaved again' not in result.output
    assert result.code in codes(expect), result.output
    for text in expect.texts:
        assert text in result.output
    for text in expect.absent:
        assert text not in result.output
