"""The command line as users and Nagios run it: exit code and first line."""
import os
import re
import subprocess
import sys

import pytest

from helpers import EXAMPLES, run_check

SEED = EXAMPLES / 'seed-failover'
# The guidelines' first line: SERVICE STATUS - text [| perfdata]
FIRST_LINE = re.compile(r"BONDING (OK|WARNING|CRITICAL|UNKNOWN)( - [^|\n]+)?( \| .+)?")
PERF_ITEM = re.compile(r"('[^'=]+'|[^'= ]+)=-?\d+(\.\d+)?(s|ms|us|%|B|KB|MB|TB|c)?"
                       r"(;[^; ]*){0,4}")


def test_seed_failover_warns_about_the_down_primary(check):
    result = check('--root', SEED, '-b', 'bond0')
    assert result.code == 1
    assert result.first_line.startswith('BONDING WARNING - bond0: eth0 down | ')
    assert result.perfdata['bond0_slaves_up'] == '1;2:;1:;0;2'
    assert result.perfdata['eth0_link_failures'] == '3c;;;0'


def test_healthy_bond_is_ok_with_the_issue_wording(check):
    result = check('--root', SEED, '-b', 'bond1')
    assert result.code == 0
    assert result.first_line.startswith(
        'BONDING OK - bond1 active-backup, active eth2 (primary), 2/2 slaves up | ')


def test_primary_given_with_p_names_the_active_slave(check):
    result = check('--root', SEED, '-b', 'bond0', '-p', 'eth0')
    assert result.first_line.startswith(
        'BONDING WARNING - bond0: eth0 down, active eth1 is not primary eth0 |')


def test_bond_equals_form_applies_to_that_bond_only(check):
    result = check('--root', SEED, '-p', 'bond1=eth3', '-p', 'bond0=eth1')
    assert result.first_line.startswith(
        'BONDING WARNING - bond0: eth0 down; bond1: active eth2 is not primary eth3 |')


def test_missing_named_bond_is_critical(check):
    result = check('--root', SEED, '-b', 'bond0', '-b', 'bond7')
    assert result.code == 2
    assert result.first_line.startswith('BONDING CRITICAL - bond7: no such bond; bond0: eth0 down')


def test_exclude_and_ranges(check):
    assert check('--root', SEED, '-x', 'bond0').code == 0
    assert check('--root', SEED, '-b', 'bond0', '-w', '1:').code == 0
    result = check('--root', SEED, '-b', 'bond0', '-c', '2:')
    assert (result.code, result.first_line.split(' |')[0]) == (
        2, 'BONDING CRITICAL - bond0: eth0 down')


def test_mode_expectation(check):
    result = check('--root', SEED, '-b', 'bond1', '-m', '4')
    assert (result.code, result.first_line.split(' |')[0]) == (
        1, 'BONDING WARNING - bond1: mode active-backup, expected 802.3ad')
    assert check('--root', SEED, '-b', 'bond1', '-m', 'active-backup').code == 0


def test_verbose_levels_add_a_line_per_bond_then_per_slave(check):
    v1 = check('--root', SEED, '-v').output.splitlines()
    assert v1[1] == 'bond0: warning - bond0 active-backup, active eth1, 1/2 slaves up'
    assert v1[-1].startswith('| ') and 'bond1_slaves_up=2' in v1[-1]
    v2 = check('--root', SEED, '-vv').output
    assert '  slave eth0: MII down, link failures 3, permanent HW addr 00:1b:21:3a:5c:10' in v2
    v3 = check('--root', SEED, '-vvv').output
    assert f'read {SEED}/proc/net/bonding/bond0' in v3


def test_no_bonds_at_all_is_unknown_with_a_hint(check, tmp_path):
    result = check('--root', tmp_path)
    assert result.code == 3
    assert result.first_line == (f'BONDING UNKNOWN - no bonding interfaces found under '
                                 f'{tmp_path}: is the bonding module loaded?')


def test_unreadable_proc_file_is_unknown_naming_the_file(check, tmp_path):
    (tmp_path / 'proc/net/bonding/bond0').mkdir(parents=True)
    result = check('--root', tmp_path, '-b', 'bond0')
    assert result.code == 3
    assert result.first_line == (f'BONDING UNKNOWN - bond0: cannot read '
                                 f'{tmp_path}/proc/net/bonding/bond0: Is a directory')


@pytest.mark.parametrize('argv, message', [
    (['-b', '../x'], "invalid interface name '../x'"),
    (['-b', 'a' * 16], 'invalid interface name'),
    (['-b', 'bond 0'], 'invalid interface name'),
    (['-b', 'bo\x00nd'], 'invalid interface name'),
    (['-b', 'bond0/../../etc'], 'invalid interface name'),
    (['-b', '..'], "invalid interface name '..'"),
    (['-x', 'a:b'], 'invalid interface name'),
    (['-m', 'fast'], "unknown mode 'fast'"),
    (['-w', '5:2'], "invalid range '5:2' for --warning"),
    (['-c', 'x'], "invalid range 'x' for --critical"),
    (['--failure-window', '5y'], "invalid duration '5y'"),
    (['-t', '0'], "invalid timeout '0'"),
    (['-b', 'bond0', '-p', 'bond1=eth0'], "names bond1, which is not checked"),
    (['-x', 'bond1', '-p', 'bond1=eth0'], "names bond1, which is not checked"),
    (['-p', '=eth0'], "invalid --primary '=eth0'"),
    (['-p', 'bond0=eth0=eth1'], "invalid --primary 'bond0=eth0=eth1'"),
    (['-p', 'eth0,,eth1'], "invalid --primary 'eth0,,eth1'"),
    (['--no'], 'unrecognized arguments: --no'),
    (['--root', ''], '--root needs a directory'),
    (['--root', '/etc/hostname'], '--root /etc/hostname: not a directory'),
    (['--root', '/nonexistent/tree'], '--root /nonexistent/tree: not a directory'),
    (['--capture', ''], '--capture needs a directory'),
    (['-p', 'eth0', '-p', 'eth1'], '--primary given twice'),
    (['--slaves', 'bond0='], "invalid --slaves 'bond0='"),
    (['--reset', '--no-state'], 'contradict'),
    (['-b', 'bond0', '-x', 'bond0'], '-b and -x both name bond0'),
    (['--frobnicate'], 'unrecognized arguments: --frobnicate'),
])
def test_usage_errors_are_unknown_with_a_hint(argv, message):
    result = run_check(argv)
    assert result.code == 3
    assert result.first_line.startswith('BONDING UNKNOWN - ') and message in result.first_line
    assert 'see check_bonding --help' in result.output


def test_a_bond_that_bond_equals_expects_is_checked_and_its_absence_is_critical(check):
    result = check('--root', SEED, '-p', 'bond0=eth0', '-p', 'bond7=eth2', '--slaves',
                   'bond8=eth4,eth5')
    assert result.code == 2
    assert result.first_line.startswith('BONDING CRITICAL - bond7: no such bond; bond8: no such '
                                        'bond; bond0: eth0 down, active eth1 is not primary eth0')


def test_every_first_line_and_perfdata_follow_the_guidelines(check):
    for argv in (['-b', 'bond0'], ['-b', 'bond1'], ['-b', 'nope'], ['-v'], []):
        result = check('--root', SEED, *argv)
        assert FIRST_LINE.fullmatch(result.first_line), result.first_line
        perf = result.output.split('|', 1)[1].split() if '|' in result.output else []
        assert all(PERF_ITEM.fullmatch(item) for item in perf), perf
        labels = [item.split('=')[0] for item in perf]
        assert len(labels) == len(set(labels))


def run_process(*argv):
    return subprocess.run([sys.executable, '-m', 'check_bonding', *map(str, argv)],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize('flag', ['-h', '-V'])
def test_help_and_version_exit_unknown_like_the_c_plugins(flag):
    result = run_process(flag)
    assert result.returncode == 3 and result.stdout.startswith(
        'usage: check_bonding' if flag == '-h' else 'check_bonding 1.')


def test_a_real_process_never_prints_a_traceback(tmp_path):
    for argv in (['-b', '../x'], ['--root', tmp_path], ['--root', SEED, '-vvv', '--no-state']):
        result = run_process(*argv)
        assert result.returncode in (0, 1, 2, 3)
        assert 'Traceback' not in result.stdout + result.stderr
        assert FIRST_LINE.fullmatch(result.stdout.splitlines()[0])


def test_help_and_version_import_nothing_but_argparse():
    probe = ('import sys\nfrom check_bonding.cli import main\n'
             'for flag in ("-h", "-V"):\n'
             '    try:\n        main([flag])\n    except SystemExit:\n        pass\n'
             'print("LOADED", sorted(m for m in ("nagiosplugin", "psutil", "json", "logging")'
             ' if m in sys.modules))')
    result = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.splitlines()[-1] == 'LOADED []'


def test_capture_command_writes_a_replayable_tree_and_says_what_it_skipped(tmp_path):
    result = run_process('--root', SEED, '--capture', tmp_path / 'cap')
    assert result.returncode == 0
    assert result.stdout.startswith(f'captured bond0, bond1 into {tmp_path}/cap (')
    assert '  skipped sys/class/net/eth0/carrier: No such file or directory' in result.stdout
    replay = run_check(['--root', tmp_path / 'cap', '--no-state'])
    assert replay.first_line.startswith('BONDING WARNING - bond0: eth0 down |')
    blocked = tmp_path / 'file'
    blocked.write_text('')
    failed = run_process('--root', SEED, '--capture', blocked / 'cap')
    assert failed.returncode == 3 and 'cannot capture into' in failed.stdout


@pytest.mark.parametrize('argv, message', [
    (['-m', '4', '-m', '1'], 'argument -m/--mode: given twice'),
    (['-w', '2:', '-w', '1:'], 'argument -w/--warning: given twice'),
    (['-t', '5', '-t', '6'], 'argument -t/--timeout: given twice'),
    (['-w', ''], 'empty range for --warning'),
    (['-c', ' '], 'empty range for --critical'),
    (['--failures-warning', ''], 'empty range for --failures-warning'),
])
def test_option_order_never_matters_so_nothing_may_win_silently(argv, message):
    result = run_check(['--root', SEED, '--no-state', *argv])
    assert result.code == 3 and message in result.first_line, result.output


def closed_reader():
    read_end, write_end = os.pipe()
    os.close(read_end)
    return write_end


OUTPUT_LOST = {'reader gone (| head -c0)': closed_reader,
               'disk full (> /dev/full)': lambda: os.open('/dev/full', os.O_WRONLY),
               'stdout closed (>&-)': None}


@pytest.mark.parametrize('unbuffered', ['', '1'])
@pytest.mark.parametrize('lost', OUTPUT_LOST)
@pytest.mark.parametrize('argv', [['-b', '../x'], ['--list-findings'],
                                  ['--root', EXAMPLES / 'seed-failover', '--no-state', '-v']])
def test_output_that_never_arrives_is_unknown_without_a_traceback(argv, lost, unbuffered):
    """`check_bonding ... | head -1`, a daemon that gave up, a full disk: the
    verdict is lost, so the exit code says UNKNOWN. Python buffers stdout on
    a pipe unless PYTHONUNBUFFERED is set, which moves the error from the
    print to the exit: both ways are tried."""
    opened = OUTPUT_LOST[lost]
    stdout = opened() if opened else None
    env = {**os.environ, 'PYTHONUNBUFFERED': unbuffered}
    try:
        done = subprocess.run([sys.executable, '-m', 'check_bonding', *map(str, argv)],
                              stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=60,
                              env=env, preexec_fn=None if opened else lambda: os.close(1))
    finally:
        if stdout is not None:
            os.close(stdout)
    assert (done.returncode, done.stderr) == (3, '')
