"""Admins decide: --state NAME=STATE for every finding, --expect KEY=VALUE for
every option the driver shows, --list-findings."""
import re
import subprocess
import sys

import pytest
from nagiosplugin.state import Critical, Ok, Warn

from check_bonding.expect import KEYS, TABLES, normalise
from check_bonding.findings import FINDINGS, found, restate
from helpers import EXAMPLES, FIXTURES, run_check

LACP = FIXTURES / 'lacp-healthy'


@pytest.mark.parametrize('name', FINDINGS)
def test_every_finding_keeps_its_default_or_takes_the_state_given(name):
    finding = found(name, 'text')
    assert restate([finding], {}, 'bond0')[0].state == FINDINGS[name].state
    assert restate([finding], {('', name): Ok}, 'bond0')[0].state == Ok
    assert restate([finding], {('', name): Critical}, 'bond0')[0].state == Critical
    assert restate([finding], {('bond1', name): Critical}, 'bond0')[0].state == \
        FINDINGS[name].state  # another bond's override
    assert restate([finding], {('', name): Ok, ('bond0', name): Critical},
                   'bond0')[0].state == Critical  # BOND= beats the plain form


def check(*argv):
    return run_check(['--no-state', *map(str, argv)])


@pytest.mark.parametrize('tree, argv, default, first_line', [
    ('ab-single-slave', '--state single-slave=ok', 1, 'BONDING OK - bond0 active-backup'),
    ('ab-single-slave', '--state single-slave=critical', 1,
     'BONDING CRITICAL - bond0: single slave eth0, no redundancy'),
    ('ab-failover', '--state slave-down=critical', 1, 'BONDING CRITICAL - bond0: eth0 down'),
    ('ab-failover', '--state slave-down=ok', 1, 'BONDING OK - bond0 active-backup'),
    ('ab-miimon0', '--state no-link-monitoring=ok', 1, 'BONDING OK - bond0'),
    ('multi-bonds', '--state bond1=slave-down=ok -x bond2', 1, 'BONDING OK - bond0 active-backup'),
    ('multi-bonds', '--state bond0=slave-down=critical -x bond2', 1,
     'BONDING WARNING - bond1: eth3 down'),
    ('lacp-no-partner', '--state lacp-partner-defaulted=unknown', 1,
     'BONDING UNKNOWN - bond0: no LACPDUs received'),
])
def test_a_finding_takes_the_state_the_admin_gives(tree, argv, default, first_line):
    others = re.sub(r'--state \S+', '', argv).split()
    assert check('--root', FIXTURES / tree, *others).code == default
    result = check('--root', FIXTURES / tree, *argv.split())
    assert result.code == {'OK': 0, 'WARNING': 1, 'CRITICAL': 2, 'UNKNOWN': 3}[
        first_line.split()[1]]
    assert result.first_line.startswith(first_line), result.output


def test_a_finding_set_to_ok_still_shows_at_v():
    result = check('--root', FIXTURES / 'ab-single-slave', '--state', 'single-slave=ok', '-v')
    assert result.code == 0
    assert '  ok: single slave eth0, no redundancy' in result.output


def test_no_bonds_can_be_ok_where_bonds_are_optional(tmp_path):
    assert check('--root', tmp_path).code == 3
    result = check('--root', tmp_path, '--state', 'no-bonds=ok')
    assert result.code == 0
    assert result.first_line == (f'BONDING OK - no bonding interfaces found under {tmp_path}: '
                                 'is the bonding module loaded?')


def test_link_failures_can_be_critical(tmp_path):
    import shutil
    tree = tmp_path / 'tree'
    shutil.copytree(EXAMPLES / 'seed-failover', tree)
    argv = ['--root', tree, '-b', 'bond1', '--state-dir', tmp_path / 'state']
    assert run_check(argv, clock=lambda: 1000).code == 0
    proc = tree / 'proc/net/bonding/bond1'
    proc.write_text(proc.read_text().replace('Link Failure Count: 2', 'Link Failure Count: 3', 1))
    assert run_check([*argv, '--state', 'link-failures=critical'], clock=lambda: 1300).code == 2
    # the ranges still apply first: no failure outside --failures-warning, no finding
    assert run_check([*argv, '--state', 'link-failures=critical', '--failures-warning', '1'],
                     clock=lambda: 1301).code == 0


@pytest.mark.parametrize('argv, message', [
    ('--state nosuch=ok', "unknown finding 'nosuch' for --state (one of no-bonds, "),
    ('--state single-slave=fatal', "invalid state 'fatal' for --state single-slave "
                                   '(ok, warning, critical, unknown)'),
    ('--state single-slave', "invalid --state 'single-slave' (expected [BOND=]NAME=STATE)"),
    ('--state a=b=c=d', "invalid --state 'a=b=c=d'"),
    ('--state single-slave=ok --state single-slave=critical',
     '--state single-slave given twice for all bonds'),
    ('-b bond0 --state bond1=single-slave=ok', 'names bond1, which is not checked'),
    ('--expect nosuch=1', "unknown --expect key 'nosuch' (one of ad_actor_sys_prio, "),
    ('--expect lacp_rate=medium', "--expect: invalid value 'medium' for lacp_rate (one of slow, "
                                  'fast, or its number 0-1)'),
    ('--expect miimon=fast', "--expect: invalid value 'fast' for miimon (0..2147483647, or one "
                             'of off, maxval, default)'),
    # --expect's grammar is the kernel's tables (bond_options.c, Linux 6.1)
    ('--expect use_carrier=2', "--expect: invalid value '2' for use_carrier (one of off, on, "
                               'default, or its number 0-1)'),
    ('--expect num_grat_arp=300', "--expect: invalid value '300' for num_grat_arp (0..255, or one "
                                  'of off, maxval, default)'),
    ('--expect lacp_rate=default', "invalid value 'default' for lacp_rate"),  # no default flag
    ('--expect miimon=100ms', "invalid value '100ms' for miimon"),
    ('--expect lp_interval=0', "invalid value '0' for lp_interval (1..2147483647"),
    ('--expect ad_actor_system=01:80:c2:00:00:02', "invalid value '01:80:c2:00:00:02' for "
                                                   'ad_actor_system (a unicast MAC'),
    ('--expect ns_ip6_target=192.0.2.1', "invalid value '192.0.2.1' for ns_ip6_target"),
    # the addresses the driver refuses (bond_is_ip_target_ok, bond_is_ip6_target_ok), 16 at most
    ('--expect arp_ip_target=junk', "invalid value 'junk' for arp_ip_target (IPv4 addresses, not "
                                    '0.0.0.0 nor 255.255.255.255)'),
    ('--expect arp_ip_target=0.0.0.0', "invalid value '0.0.0.0' for arp_ip_target"),
    ('--expect arp_ip_target=255.255.255.255', "invalid value '255.255.255.255' for arp_ip_target"),
    ('--expect arp_ip_target=' + ','.join(f'192.0.2.{n}' for n in range(1, 18)),
     'for arp_ip_target (at most 16 addresses)'),
    ('--expect ns_ip6_target=::1', "invalid value '::1' for ns_ip6_target (IPv6 addresses, not ::, "
                                   '::1 nor multicast)'),
    ('--expect ns_ip6_target=ff02::1', "invalid value 'ff02::1' for ns_ip6_target"),
    ('--expect ns_ip6_target=fe80::1%eth0', "invalid value 'fe80::1%eth0' for ns_ip6_target"),
    # --state BOND=: findings about the run take no BOND=
    ('--state bond0=bond-idle=critical', '--state bond0=bond-idle=critical: bond-idle is about the '
                                         'run, not one bond (--state bond-idle=critical)'),
    ('--state bond0=no-bonds=ok', 'no-bonds is about the run, not one bond'),
    ('--state bond0=bond-list-mismatch=warning', 'bond-list-mismatch is about the run'),
    ('--expect miimon', "invalid --expect 'miimon' (expected [BOND=]KEY=VALUE)"),
    ('--expect miimon=1 --expect miimon=2', '--expect miimon given twice for all bonds'),
    ('--min-speed 0', "invalid --min-speed '0' (expected [BOND=]MBPS)"),
    ('--min-speed 1000 --min-speed 10000', '--min-speed given twice for all bonds'),
])
def test_usage_errors(argv, message):
    result = check('--root', LACP, *argv.split())
    assert result.code == 3 and message in result.first_line, result.output


def sysfs(key):
    return (LACP / 'sys/class/net/bond0/bonding' / key).read_text().strip()


@pytest.mark.parametrize('key', [key for key in KEYS if key != 'ns_ip6_target'])
def test_expect_every_option_against_the_real_driver(key):
    """A match (the running value, as a number where the kernel takes one) and a
    mismatch for every option, on a capture of the real 6.1 driver."""
    running = sysfs(key)
    words = running.split()
    same = words[-1] if len(words) == 2 else (running or ('' if key == 'primary' else running))
    if key == 'arp_ip_target':
        same, other, told = '', '192.0.2.1,192.0.2.2', 'none, expected 192.0.2.1,192.0.2.2'
    elif key == 'primary':
        other, told = 'eth1', 'none, expected eth1'
    elif key == 'ad_actor_system':
        other = '02:00:00:00:00:01'
        told = f'{running}, expected {other}'
    else:
        have, table = normalise(key, running), TABLES[key]
        candidates = table.names if table.high is None else (table.low, table.low + 1)
        other = next(str(v) for v in candidates if normalise(key, str(v)) != have)
        told = f'{have}, expected {normalise(key, other)}'
    match = check('--root', LACP, '--expect', f'{key}={same}', '-v')
    assert match.code == 0 and 'option-' not in match.output and ', expected' not in \
        match.output, match.output
    mismatch = check('--root', LACP, '--expect', f'{key}={other}')
    assert mismatch.code == 1, mismatch.output
    assert mismatch.first_line.startswith(f'BONDING WARNING - bond0: {key} {told}'), \
        mismatch.output


def test_expect_takes_names_the_kernel_takes_for_numbers():
    """--expect's grammar: the kernel writes miimon off, use_carrier on, all_slaves_active
    off (the capture: miimon 100, use_carrier 1, all_slaves_active 0)."""
    assert check('--root', LACP, '--expect', 'use_carrier=on', '--expect',
                 'all_slaves_active=off', '--expect', 'lp_interval=default').code == 0
    result = check('--root', LACP, '--expect', 'miimon=off', '--expect', 'use_carrier=off')
    assert result.first_line.startswith('BONDING WARNING - bond0: miimon 100, expected 0, '
                                        'use_carrier on, expected off'), result.output


def test_expect_reads_ipv4_targets_as_the_kernel_does():
    """in4_pton(): leading zeros are decimal; sysfs prints the address plainly."""
    result = check('--root', LACP, '--expect', 'arp_ip_target=010.000.000.001')
    assert 'arp_ip_target none, expected 10.0.0.1' in result.first_line, result.output


def test_expect_names_and_numbers_alike_and_per_bond():
    assert check('--root', LACP, '--expect', 'lacp_rate=1', '--expect',
                 'xmit_hash_policy=layer2').code == 0
    assert check('--root', LACP, '--expect', 'bond0=lacp_rate=slow').first_line.startswith(
        'BONDING WARNING - bond0: lacp_rate fast, expected slow')
    assert check('--root', LACP, '--expect', 'lacp_rate=slow', '--expect',
                 'bond0=lacp_rate=fast').code == 0  # BOND= beats the plain form


def test_an_option_this_kernel_does_not_show_is_a_note_never_a_guess():
    result = check('--root', EXAMPLES / 'seed-failover', '-b', 'bond1', '--expect',
                   'lacp_rate=fast', '-v')
    assert result.code == 0
    assert '  ok: lacp_rate is not shown by this kernel (sysfs): not compared' in result.output


def test_list_findings_prints_the_table():
    result = subprocess.run([sys.executable, '-m', 'check_bonding', '--list-findings'],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == ''
    lines = result.stdout.splitlines()
    assert lines[0].split() == ['FINDING', 'DEFAULT', 'MEANING']
    assert [line.split()[0] for line in lines[1:]] == list(FINDINGS)
    assert re.search(r'^single-slave +WARNING +only one slave', result.stdout, re.M)


def test_states_of_findings_are_nagiosplugin_states():
    assert {kind.state for kind in FINDINGS.values()} <= {Ok, Warn, Critical,
                                                           __import__('nagiosplugin').Unknown}


def test_a_finding_raised_to_critical_is_exit_2_even_next_to_an_unknown():
    """A finding raised to CRITICAL: CRITICAL before UNKNOWN, also within one bond's findings
    and for the run's; the first line says each thing once."""
    result = check('--root', FIXTURES / 'ab-nomon-active-nocarrier', '--state',
                   'no-link-monitoring=unknown')
    assert result.code == 2 and result.first_line.startswith('BONDING CRITICAL - bond0: '), \
        result.output
    idle = check('--root', FIXTURES / 'idle-bond0-uplink', '-x', 'uplink', '--state',
                 'bond-idle=critical', '-v')
    text = idle.first_line.split(' | ')[0]
    assert idle.code == 2 and text.startswith('BONDING CRITICAL - no bond to check under '), \
        idle.output
    assert text.count('never set up') == 1 and '\ncritical: no bond to check' in idle.output
    assert check('--root', FIXTURES / 'idle-bond0-uplink', '-x', 'uplink').code == 3
    assert check('--root', FIXTURES / 'idle-bond0-uplink', '--state',
                 'bond-idle=critical').code == 2
