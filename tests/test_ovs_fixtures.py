"""The OVS scenarios replayed from their captures (tests/data/fixtures/ovs-*, written
by `python tests/ovs/scenarios.py --dest tests/data/fixtures` from a real
ovs-vswitchd): the same verdicts as live, in a second, as root and as nobody;
and an OVS bond next to a kernel bond of the same name, never confused."""
import shutil

import pytest

from expected import codes
from expected_ovs import EXPECTED_NOBODY, EXPECTED_OVS, FLAP
from helpers import FIXTURES, run_check

CASES = [(f'{name}{view}', expect)
         for view, table in (('', EXPECTED_OVS), ('.nobody', EXPECTED_NOBODY))
         for name, expects in table.items() for expect in expects]


def assert_says(result, expect):
    assert result.code in codes(expect), result.output
    for text in expect.texts:
        assert text in result.output


@pytest.mark.parametrize('name, expect', CASES, ids=[f'{n} {e.argv}' for n, e in CASES])
def test_fixture_replay(name, expect):
    assert_says(run_check(['--root', FIXTURES / name, '--no-state', *expect.argv.split()]),
                expect)


def test_a_flap_between_two_captures_with_one_state_directory(tmp_path):
    """Replayed at one --root path (the state file is per root), before then after."""
    root, state = tmp_path / 'root', ['--state-dir', tmp_path / 'state']
    shutil.copytree(FIXTURES / 'ovs-flap-before', root)
    assert run_check(['--root', root, *state, '-b', 'ovs:bond0']).code == 0
    shutil.rmtree(root)
    shutil.copytree(FIXTURES / 'ovs-flap', root)
    assert_says(run_check(['--root', root, *state, *FLAP.argv.split()]), FLAP)


def test_counters_restarted_by_ovs_vswitchd_are_worded_for_it(tmp_path):
    """a1's Carrier Status Changed back from 2 to 0 (ovs-flap, then ovs-flap-before):
    ovs-vswitchd restarted or a1 was added again, no slave was enslaved again."""
    root, state = tmp_path / 'root', ['--state-dir', tmp_path / 'state']
    shutil.copytree(FIXTURES / 'ovs-flap', root)
    assert run_check(['--root', root, *state, '-b', 'ovs:bond0']).code == 0
    shutil.rmtree(root)
    shutil.copytree(FIXTURES / 'ovs-flap-before', root)
    result = run_check(['--root', root, *state, '-b', 'ovs:bond0', '-v'])
    assert result.code == 0, result.output
    assert ('  ok: a1 Open vSwitch counters restarted since the last run (ovs-vswitchd '
            'restarted, or a1 removed and added again): its link failures counted from 0\n'
            in result.output), result.output
    assert 'enslaved' not in result.output


@pytest.fixture
def mixed(tmp_path):
    """A host with a kernel bond0 (802.3ad) and an OVS bond0 (balance-tcp)."""
    root = tmp_path / 'mixed'
    shutil.copytree(FIXTURES / 'lacp-healthy', root, symlinks=True)
    shutil.copytree(FIXTURES / 'ovs-lacp' / 'ovs-appctl', root / 'ovs-appctl')
    return root


def test_a_kernel_bond_and_an_ovs_bond_of_one_name_are_both_checked_apart(mixed):
    result = run_check(['--root', mixed, '--no-state'])
    assert result.code == 0, result.output
    assert result.first_line.startswith(
        'BONDING OK - bond0 802.3ad, 2/2 slaves up; ovs:bond0 balance-tcp, LACP negotiated, '
        '2/2 members up; ovs:bond1 ')
    labels = result.output.split('|', 1)[1].split()
    names = [label.split('=')[0].strip("'") for label in labels]
    assert len(names) == len(set(names))
    assert {'bond0_slaves_up', 'ovs:bond0_slaves_up', 'eth0_link_failures',
            'ovs:a1_link_failures'} <= set(names)


@pytest.mark.parametrize('argv, first', [
    ('-b bond0', 'BONDING OK - bond0 802.3ad, 2/2 slaves up |'),
    ('-b ovs:bond0', 'BONDING OK - ovs:bond0 balance-tcp, LACP negotiated, 2/2 members up |'),
    ('--kind kernel', 'BONDING OK - bond0 802.3ad, 2/2 slaves up |'),
    ('--kind ovs -x ovs:bond1', 'BONDING OK - ovs:bond0 balance-tcp'),
    ('-x ovs:bond0 -x ovs:bond1', 'BONDING OK - bond0 802.3ad, 2/2 slaves up |'),
    ('-x bond0 -x ovs:bond1', 'BONDING OK - ovs:bond0 balance-tcp'),
    ('--slaves ovs:bond0=a1 -x ovs:bond1', 'BONDING WARNING - ovs:bond0: unexpected member a2 |'),
    ('--slaves bond0=eth0 -x ovs:bond1', 'BONDING WARNING - bond0: unexpected slave eth1 |'),
    ('-p ovs:bond0=a1 -b ovs:bond0 -v', 'BONDING OK - ovs:bond0 '),
    ('-b ovs:bond0 -b ovs:nosuch', 'BONDING CRITICAL - ovs:nosuch: no such bond |'),
    ('-x ovs:bond1 -w 3: --state ovs:bond0=slave-down=ok',
     'BONDING WARNING - bond0: 2/2 slaves up, outside range 3: |'),
    ('-x ovs:bond1 -w 3: --state bond0=slave-down=ok',
     'BONDING WARNING - ovs:bond0: 2/2 members up, outside range 3: |'),
])
def test_the_names_select_one_kind(mixed, argv, first):
    result = run_check(['--root', mixed, '--no-state', *argv.split()])
    assert result.first_line.startswith(first), result.output


@pytest.mark.parametrize('argv', ['--kind kernel -b ovs:bond0', '--kind ovs -b bond0',
                                  '-b ovs:', '-b ovs:a/b', '--kind both'])
def test_contradictions_and_bad_names_are_usage_errors(argv):
    result = run_check(['--no-state', *argv.split()])
    assert result.code == 3 and result.first_line.startswith('BONDING UNKNOWN - ')


def test_ovs_states_in_list_findings(capsys):
    from check_bonding.findings import FINDINGS
    assert {'ovs-needs-root', 'ovs-unreadable', 'ovs-lacp-not-negotiated',
            'ovs-lacp-fallback-ab'} <= set(FINDINGS)


def test_unprivileged_with_kernel_bonds_says_the_ovs_ones_need_root(tmp_path):
    root = tmp_path / 'mixed'
    shutil.copytree(FIXTURES / 'lacp-healthy.nobody', root, symlinks=True)
    shutil.copytree(FIXTURES / 'ovs-lacp.nobody' / 'ovs-appctl', root / 'ovs-appctl')
    result = run_check(['--root', root, '--no-state', '-v'])
    assert result.code == 3
    assert result.first_line.startswith('BONDING UNKNOWN - Open vSwitch bonds not checked: only '
                                        'root may ask ovs-vswitchd (')
    assert '\nbond0: ok - bond0 802.3ad, 2/2 slaves up\n' in result.output
    assert run_check(['--root', root, '--no-state', '--kind', 'kernel']).code == 0


@pytest.mark.skipif(not shutil.which('visudo'), reason='visudo not installed (sudo)')
def test_contrib_sudoers_parses():
    import subprocess
    from helpers import ROOT
    result = subprocess.run(['visudo', '-cf', ROOT / 'contrib' / 'sudoers'],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# Open vSwitch asked for where ovs-vswitchd is not running: said so, not a kernel hint
def not_running(root):
    return f'ovs-vswitchd is not running (no {root}/var/run/openvswitch/ovs-vswitchd.pid)'


@pytest.mark.parametrize('argv, code, first', [
    ('--kind ovs', 3, 'BONDING UNKNOWN - no Open vSwitch bonds: {}'),
    ('-b ovs:bond0', 2, 'BONDING CRITICAL - ovs:bond0: no such bond: {}'),
    ('-b bond0 -b ovs:bond0', 2, 'BONDING CRITICAL - ovs:bond0: no such bond: {} |'),
])
def test_ovs_asked_for_where_ovs_vswitchd_does_not_run_says_so(argv, code, first):
    root = FIXTURES / 'lacp-healthy'
    result = run_check(['--root', root, '--no-state', *argv.split()])
    assert result.code == code, result.output
    assert result.first_line.startswith(first.format(not_running(root))), result.output


def test_without_ovs_the_default_run_says_nothing_of_it(tmp_path):
    for root, first in ((FIXTURES / 'lacp-healthy', 'BONDING OK - bond0 802.3ad'),
                        (tmp_path, 'BONDING UNKNOWN - no bonding interfaces found under ')):
        result = run_check(['--root', root, '--no-state', '-vv'])
        assert result.first_line.startswith(first), result.output
        assert 'Open vSwitch' not in result.output and 'ovs-vswitchd' not in result.output


def test_ovs_asked_for_where_it_runs_without_bonds(tmp_path):
    (tmp_path / 'ovs-appctl').mkdir()
    (tmp_path / 'ovs-appctl' / 'bond-list').write_text('bond\ttype\trecircID\tmembers\n')
    result = run_check(['--root', tmp_path, '--no-state', '--kind', 'ovs'])
    assert result.code == 3
    assert result.first_line == 'BONDING UNKNOWN - no Open vSwitch bonds: ovs-vswitchd has none'


def test_the_pidfile_named_is_the_one_looked_for(tmp_path):
    from check_bonding.ovs import source
    assert source.pidfile('/', {'OVS_RUNDIR': str(tmp_path)}) == f'{tmp_path}/ovs-vswitchd.pid'
    assert source.pidfile('/', {}) == '/var/run/openvswitch/ovs-vswitchd.pid'
    assert source.pidfile(str(tmp_path), {'OVS_RUNDIR': '/x'}) == \
        f'{tmp_path}/var/run/openvswitch/ovs-vswitchd.pid'


# --expect and --min-speed: facts an Open vSwitch bond does not show, never passed silently
@pytest.mark.parametrize('argv, words', [
    ('-b ovs:bond0 --expect ovs:bond0=miimon=100', '--expect ovs:bond0=miimon=100: '),
    ('--expect ovs:bond0=miimon=100', '--expect ovs:bond0=miimon=100: '),
    ('-b ovs:bond0 --expect miimon=100', '--expect miimon=100: '),
    ('--kind ovs --expect miimon=100', '--expect miimon=100: '),
    ('-b ovs:bond0 --min-speed 10000', '--min-speed 10000: '),
    ('--min-speed ovs:bond0=10000', '--min-speed ovs:bond0=10000: '),
])
def test_kernel_only_options_naming_only_ovs_bonds_are_usage_errors(argv, words):
    result = run_check(['--root', FIXTURES / 'ovs-lacp', '--no-state', *argv.split()])
    assert result.code == 3, result.output
    assert result.first_line.startswith('BONDING UNKNOWN - ' + words), result.output
    assert 'Open vSwitch' in result.first_line


def test_kernel_only_options_for_every_bond_are_a_note_on_the_ovs_ones(mixed):
    result = run_check(['--root', mixed, '--no-state', '-x', 'ovs:bond1', '-v',
                        '--expect', 'miimon=200', '--min-speed', '10'])
    assert result.first_line.startswith('BONDING WARNING - bond0: miimon 100, expected 200'), \
        result.output
    assert ('  ok: --expect and --min-speed not compared on an Open vSwitch bond (no bonding '
            'options in sysfs; no member speed shown by ovs-vswitchd)\n'
            in result.output.split('\novs:bond0: ')[1]), result.output


@pytest.mark.parametrize('ports, first', [
    (('eth0', 'eth1'), 'BONDING WARNING - ovs:bond0: a1 and a2 reach one switch '),
    (('eth0', 'none'), 'BONDING OK - ovs:bond0 balance-tcp, LACP negotiated, 2/2 members up'),
])
def test_members_into_one_switch_are_judged_as_slaves_are(tmp_path, ports, first):
    """lldpd's answer (captured in the kernel test bed) put on an OVS capture, its
    interfaces renamed to the members: one chassis on both is shared-switch; a member
    without a neighbour is a -v note, never a guess."""
    tree = tmp_path / 'tree'
    shutil.copytree(FIXTURES / 'ovs-lacp', tree, symlinks=True)
    answer = (FIXTURES / 'lldp-one-switch/run/lldpd.socket').read_text()
    for port, member in zip(ports, ('a1', 'a2')):
        answer = answer.replace(f'"{port}"', f'"{member}"')
    (tree / 'run').mkdir()
    (tree / 'run/lldpd.socket').write_text(answer)
    result = run_check(['--root', tree, '--no-state', '-b', 'ovs:bond0', '-v'])
    assert result.first_line.startswith(first), result.output
    assert '(LLDP)' in result.output or 'no LLDP neighbour on a2' in result.output
