"""The check against a real ovs-vswitchd (tests/ovs/lab.py): each scenario of
scenarios.py built live, checked as root (and as nobody), captured with
--capture and replayed with --root to the same exit code and first-line words.

Needs root and Debian's openvswitch-switch (tests/ovs/APT_PACKAGES); skips with
the reason otherwise. About a minute: LACP negotiates and expires in seconds.
"""
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lab as ovs_lab  # noqa: E402
import scenarios  # noqa: E402
from expected import codes  # noqa: E402
from expected_ovs import EXPECTED_NOBODY, EXPECTED_OVS, FLAP, FLAP_AB  # noqa: E402

pytestmark = pytest.mark.slow

if ovs_lab.missing():
    pytest.skip(ovs_lab.missing(), allow_module_level=True)


@pytest.fixture(scope='module')
def lab():
    with ovs_lab.Lab() as running:
        yield running


def assert_says(result, expect):
    output = result.stdout
    assert result.returncode in codes(expect), output + result.stderr
    for text in expect.texts:
        assert text in output, output


def replay(lab, tmp_path, name, expect, user='root'):
    """The capture of this moment, replayed with --root: the same verdict."""
    tree = tmp_path / f'{name}-{user}'
    lab.capture(tree, user)
    result = subprocess.run([ovs_lab.PLUGIN, '--root', tree, '--no-state',
                             *expect.argv.split()], capture_output=True, text=True,
                            check=False, env={'PATH': '/usr/bin:/bin'})
    assert_says(result, expect)


CASES = [(name, expect) for name, expects in EXPECTED_OVS.items() for expect in expects]


@pytest.mark.parametrize('name, expect', CASES, ids=[f'{n} {e.argv}' for n, e in CASES])
def test_scenario_as_root_live_and_replayed(lab, tmp_path, name, expect):
    scenarios.build(lab, name)
    assert_says(lab.check('--no-state', *expect.argv.split()), expect)
    if 'expires in' not in ' '.join(expect.texts):  # a delay runs out while we replay
        replay(lab, tmp_path, name, expect)


NOBODY = [(name, expect) for name, expects in EXPECTED_NOBODY.items() for expect in expects]


@pytest.mark.parametrize('name, expect', NOBODY, ids=[f'{n} {e.argv}' for n, e in NOBODY])
def test_unprivileged_run_says_ovs_bonds_need_root(lab, tmp_path, name, expect):
    scenarios.build(lab, name)
    assert_says(lab.check('--no-state', *expect.argv.split(), user='nobody'), expect)
    replay(lab, tmp_path, name, expect, user='nobody')


def test_a_flap_between_two_runs_is_a_warning(lab, tmp_path):
    scenarios.build(lab, 'ovs-flap-before')
    state = ['--state-dir', tmp_path / 'state']
    assert lab.check(*state, '-b', 'ovs:bond0').returncode == 0
    scenarios.flap(lab)
    assert_says(lab.check(*state, *FLAP.argv.split()), FLAP)
    # the next run still reports it: the failure counts for the window
    assert_says(lab.check(*state, *FLAP.argv.split()), FLAP)


def test_a_failover_and_back_between_two_runs_without_lacp(lab, tmp_path):
    """No LACP counters: the members' sysfs carrier_down_count (inside the namespace)."""
    scenarios.build(lab, 'ovs-ab-primary')
    state = ['--state-dir', tmp_path / 'state']
    first = lab.check(*state, '-b', 'ovs:bond0', inside=True)
    assert first.returncode == 0 and "'ovs:a2_link_failures'=" in first.stdout, first.stdout
    scenarios.primary_down(lab)
    scenarios.primary_back(lab)
    scenarios.failback(lab)
    assert_says(lab.check(*state, *FLAP_AB.argv.split(), inside=True), FLAP_AB)


def test_the_socket_answers_what_ovs_appctl_answers(lab):
    """The JSON-RPC client against the real ovs-appctl: the same text."""
    from check_bonding.ovs import source
    scenarios.build(lab, 'ovs-lacp')
    ours = source.answers('/', {'OVS_RUNDIR': lab.dir})
    for command in source.COMMANDS:
        theirs = lab.appctl(command)
        assert without_timers(ours[command]) == without_timers(theirs), command


def without_timers(text: str) -> str:
    """bond/show counts down to the next rebalance, PDU counters grow."""
    return '\n'.join(line for line in text.splitlines()
                     if not line.startswith(('next rebalance', '  TX PDUs', '  RX PDUs')))


def test_no_ovs_running_is_no_ovs(lab, tmp_path):
    """A pidfile directory without a pidfile: no OVS, no finding."""
    from check_bonding.ovs import source
    assert source.answers('/', {'OVS_RUNDIR': str(tmp_path)}) is None


def test_a_stale_pidfile_is_unknown(tmp_path):
    """ovs-vswitchd gone, its pidfile left: the bonds cannot be checked, and it says so."""
    (tmp_path / 'ovs-vswitchd.pid').write_text('999999\n')
    result = subprocess.run([ovs_lab.PLUGIN, '--no-state', '--kind', 'ovs'],
                            capture_output=True, text=True, check=False,
                            env={'PATH': '/usr/bin:/bin', 'OVS_RUNDIR': str(tmp_path)})
    assert result.returncode == 3, result.stdout
    assert result.stdout.startswith('BONDING UNKNOWN - Open vSwitch bonds not checked: '), \
        result.stdout
    assert 'not running' in result.stdout
