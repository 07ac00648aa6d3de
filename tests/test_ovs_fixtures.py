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
