"""The check against the Linux bonding driver itself, in a user-mode-linux guest.

Every scenario of scenarios.py is built in a real 6.1 kernel; the installed
check_bonding then runs inside the guest against the live /proc and /sys, as
root and as nobody (the NRPE case: the kernel hides 802.3ad details from it),
and must give what tests/expected.py says. Two boots run in parallel.
"""
import shutil

import pytest

from expected import (AS_CONFIGURED, EXPECTED, FLAP, MODE_CHANGED, RENAMED, ROOT_ONLY,
                      SECOND_RUN, Expect, codes, for_user)
from kernel import scenarios, uml

pytestmark = pytest.mark.slow  # the fast lane (-m "not slow") leaves it out


def live_command(name, argv):
    """The check in the guest; a drift scenario's configuration is in its own root."""
    root = f'--root {scenarios.DRIFT_ROOT} ' if name.startswith('drift-') else ''
    return f'$CHECK_BONDING {root}{argv}'


# Live only, with the baseline stored by the scenario or by a first run:
# the flap between two checks, and an ARP target gone (the slaves flap).
LIVE = {name: [(live_command(name, e.argv), e) for e in expects]
        for name, expects in EXPECTED.items()}
LIVE['ab-flap'] = [(f'$CHECK_BONDING {FLAP.argv}', FLAP)]
LIVE['ab-renamed-slave'] = [(f'$CHECK_BONDING {RENAMED.argv}', RENAMED)]
LIVE['ab-mode-changed'] = [(f'$CHECK_BONDING {MODE_CHANGED.argv}', MODE_CHANGED)]
# The second run of a baseline scenario: its first expectation (a run stores
# what it compared: the others are replayed, each from the first run's tree)
LIVE.update({name: [(f'$CHECK_BONDING {expects[0].argv}', expects[0])]
             for name, expects in SECOND_RUN.items()})
# The recipe of docs/switch-side.md: nobody in group adm may run Debian's lldpcli
LIVE['lldp-one-switch'].append((
    'setpriv --reuid=nobody --regid=nogroup --groups=adm $CHECK_BONDING -b bond0 --no-state',
    Expect('-b bond0 --no-state', 1, ['BONDING WARNING - bond0: eth0 and eth1 reach one switch '
                                      'switch-a (chassis mac 52:54:00:00:01:00)'],
           users=ROOT_ONLY)))  # root's run_as is what may setpriv
LIVE['arp-target-gone'] = [(
    '$CHECK_BONDING -b bond0 >/dev/null; sleep 1; $CHECK_BONDING -b bond0',
    Expect('-b bond0', (1, 2), ['link failed ']))]  # flapping: failovers come and go
CASES = [(name, i, user) for name, runs in LIVE.items() for i in range(len(runs))
         for user in uml.USERS if user in runs[i][1].users]


# lldpd (the host's binaries, run in the guest) for the LLDP scenarios
LLDPD = shutil.which('lldpd', path='/usr/sbin:/usr/bin:/sbin:/bin')
if not LLDPD:
    LIVE = {name: runs for name, runs in LIVE.items() if not name.startswith('lldp-')}
    CASES = [case for case in CASES if not case[0].startswith('lldp-')]


def test_lldp_scenarios_run_where_lldpd_is_installed():
    if not LLDPD:
        pytest.skip('lldpd not installed (tests/kernel/APT_PACKAGES): lldp-* scenarios left out')


LIVE['expect-grammar'] = []  # no check runs: what the kernel took is the test


@pytest.fixture(scope='module')
def live(tmp_path_factory, request):
    ok, why = uml.available()
    if not ok:
        pytest.skip(why)
    # only the scenarios of the tests selected (-k): iterating on one builds only it
    selected = {item.callspec.params['name'] for item in request.session.items
                if 'name' in getattr(getattr(item, 'callspec', None), 'params', {})}
    commands = {name: [command for command, _ in runs] for name, runs in LIVE.items()
                if name in selected}
    return scenarios.run_parallel(list(commands), commands,
                                  workdir=tmp_path_factory.mktemp('uml'))


@pytest.mark.parametrize('name, index, user', CASES,
                         ids=[f'{n}-{i}-{u}' for n, i, u in CASES])
def test_check_in_the_real_kernel(live, name, index, user):
    result = live[name]
    assert result.ok, f'scenario {name} failed to build'
    run = result.commands[index * len(uml.USERS) + uml.USERS.index(user)]
    assert_says(run, user, LIVE[name][index][1])


BEFORE = [(name, user) for name in AS_CONFIGURED for user in uml.USERS]


@pytest.mark.parametrize('name, user', BEFORE, ids=[f'{n}-as-configured-{u}' for n, u in BEFORE])
def test_drift_scenario_matched_its_configuration_before_the_runtime_change(live, name, user):
    result, expect = live[name], AS_CONFIGURED[name]
    assert result.ok, f'scenario {name} failed to build'
    assert expect.argv == scenarios.AS_CONFIGURED_ARGV  # what the scenario ran
    runs = uml.read_commands(result.dir.parent / f'{name}.before',
                             [live_command(name, expect.argv)])
    assert_says(runs[uml.USERS.index(user)], user, expect)


@pytest.mark.parametrize('name', ['expect-grammar'])
def test_expect_takes_what_the_kernel_takes(live, name):
    """--expect's grammar against the driver itself (bond_opt_* tables): every candidate
    value the scenario wrote to the option's sysfs file, taken by the kernel exactly
    where expect.normalise takes it."""
    from check_bonding.expect import normalise
    assert live[name].ok, f'scenario {name} failed to build'
    lines = (live[name].dir.parent / 'expect-grammar.results').read_text().splitlines()
    differ = []
    for line in lines:
        key, value, status = line.split('\t')
        try:
            normalise(key, value)
            ours = 'taken'
        except ValueError:
            ours = 'refused'
        if ours != ('taken' if status == '0' else 'refused'):
            differ.append(f'{key}={value!r}: kernel status {status}, --expect {ours}')
    assert len(lines) > 200 and differ == []
    assert {line.split('\t')[0] for line in lines} >= {'arp_ip_target', 'ns_ip6_target'}


def assert_says(run, user, expect):
    expect = for_user(expect, user == 'nobody')
    assert run.user == user
    assert 'Traceback' not in run.stdout + run.stderr
    assert run.returncode in codes(expect), run.stdout + run.stderr
    for text in expect.texts:
        assert text in run.stdout
    for text in expect.absent:
        assert text not in run.stdout

