"""The switch side's counters in the one baseline of the link counters
(baseline.py): LACP churn between two checks (lacp-flaps), each slave's bytes
for a member that carries nothing (traffic.py), and the state files of the
releases before, which load and keep their baseline.

Bytes move at every run: they are stored when the file is written anyway or
once the stored sample is an hour old, so a quiet bond's file is not written
at every check (baseline.SAMPLED)."""
import copy
import json
import os
from pathlib import Path
from typing import NamedTuple

import pytest
from nagiosplugin.state import Ok, Warn

from check_bonding import baseline, flaps, traffic
from check_bonding.parse import Aggregator, Bond, Slave
from check_bonding.store import BaselineStore, root_tag, state_path

HOUR = 3600


def lacp(churns=((0, 0), (0, 0)), failures=(0, 0), agg_ids=(1, 1), mode='802.3ad'):
    return Bond(name='bond0', mode=mode, mii_status='up', xmit_hash_policy='layer2',
                aggregator=Aggregator(id=1, ports=2), slaves=[
                    Slave(name=f'eth{i}', mii_status='up', link_failures=f, perm_hwaddr=f'aa:0{i}',
                          actor_churns=a, partner_churns=p, aggregator_id=agg)
                    for i, ((a, p), f, agg) in enumerate(zip(churns, failures, agg_ids))])


class Nic(NamedTuple):  # what psutil's per-interface counters give (the fields read)
    bytes_sent: int
    bytes_recv: int


def nics(*pairs):
    return {f'eth{i}': Nic(*pair) for i, pair in enumerate(pairs)}


def run(state, bond, now, counters=None, instances=None):
    return flaps.update(state, bond, 'boot', now, HOUR, instances=instances, nics=counters)


def names(report):
    return [f.name for f in report.findings]


# -- LACP churn between checks (lacp-flaps) ---------------------------------------

def test_churn_since_the_last_check_is_a_warning_for_the_window_with_the_link_up():
    state = baseline.new_state('bond0')
    run(state, lacp(), 1000)
    report = run(state, lacp(((0, 1), (1, 1))), 1300)
    assert [(f.name, f.state, f.words) for f in report.findings] == [
        ('lacp-flaps', Warn, 'eth0 LACP out of sync 1 time in the last 1h (churn count), last '
                             '0 s ago, its link up throughout'),
        ('lacp-flaps', Warn, 'eth1 LACP out of sync 1 time in the last 1h (churn count), last '
                             '0 s ago, its link up throughout')]
    later = run(state, lacp(((0, 1), (1, 1))), 1900)
    assert [f.words for f in later.findings] == [
        'eth0 LACP out of sync 1 time in the last 1h (churn count), last 10 min ago, its link '
        'up throughout', 'eth1 LACP out of sync 1 time in the last 1h (churn count), last '
        '10 min ago, its link up throughout']
    assert run(state, lacp(((0, 1), (1, 1))), 1300 + HOUR).findings == []


def test_churn_with_a_link_failure_does_not_say_the_link_stayed_up():
    state = baseline.new_state('bond0')
    run(state, lacp(), 1000)
    report = run(state, lacp(((2, 3), (0, 0)), failures=(1, 0)), 1300)
    assert 'eth0 LACP out of sync 3 times in the last 1h (churn count), last 0 s ago' in [
        f.words for f in report.findings]
    assert report.counts == {'eth0': 1}


def test_churn_counts_restart_with_the_enslavement_and_what_they_count_then_is_new():
    """A churn count below the stored one, or another enslavement: the port was
    enslaved again, its counts start at 0 (baseline.COUNTERS: 'enslavement')."""
    state = baseline.new_state('bond0')
    run(state, lacp(((5, 5), (5, 5))), 1000, instances={'eth0': 1, 'eth1': 2})
    quiet = run(state, lacp(((0, 0), (5, 5))), 1300, instances={'eth0': 1, 'eth1': 2})
    assert names(quiet) == ['slave-reenslaved']  # -v note; nothing counted from 0
    assert state['slaves']['eth0']['counters'] == {'link_failures': 0, 'actor_churns': 0,
                                                   'partner_churns': 0}
    again = run(state, lacp(((0, 1), (5, 5))), 1600, instances={'eth0': 3, 'eth1': 2})
    assert names(again) == ['slave-reenslaved', 'lacp-flaps'] and again.churns == {'eth0': 1}


def test_a_kernel_without_churn_counts_keeps_what_it_has():
    state = baseline.new_state('bond0')
    run(state, lacp(((None, None), (None, None))), 1000)
    assert state['slaves']['eth0']['counters'] == {'link_failures': 0}
    assert run(state, lacp(((None, None), (None, None))), 1300).findings == []


# -- each slave's bytes (slave-carries-nothing, traffic-share) ---------------------

def since(sampled, now):
    return f'since {flaps.clock_time(sampled, now)} ({flaps.ago(now - sampled)})'


def test_a_slave_that_carries_nothing_is_a_note_and_the_shares_are_told():
    state = baseline.new_state('bond0')
    run(state, lacp(), 1000, nics((10_000, 20_000), (10_000, 20_000)))
    report = run(state, lacp(), 1300, nics((5_010_000, 3_020_000), (12_000, 20_100)))
    assert [(f.name, f.state, f.words) for f in traffic.judge(lacp(), report)] == [
        ('slave-carries-nothing', Ok, f'eth1 carried next to nothing {since(1000, 1300)}: 0.0% '
         'of the 5.0 MB sent and 0.0% of the 3.0 MB received (xmit_hash_policy layer2, or the '
         'switch side)'),
        ('traffic-share', Ok, f'traffic {since(1000, 1300)}: sent 5.0 MB: eth0 100%, eth1 0%; '
                              'received 3.0 MB: eth0 100%, eth1 0%')]


def test_moving_bytes_are_no_change_until_the_sample_is_an_hour_old():
    """The shares are those since the stored sample; a quiet run changes nothing to
    write, however the bytes moved, until SAMPLE_EVERY; then the sample is of now."""
    state = baseline.new_state('bond0')
    assert run(state, lacp(), 1000, nics((0, 0), (0, 0))).changed
    stored = copy.deepcopy(state)
    for minutes in range(5, 60, 5):
        moved = minutes * 1_000_000
        report = run(state, lacp(), 1000 + 60 * minutes, nics((moved, moved), (moved, 0)))
        assert not report.changed and state == stored, minutes
        assert report.grown['eth0']['tx_bytes'] == moved  # since the sample of 1000
    due = run(state, lacp(), 1000 + HOUR, nics((70_000_000, 70_000_000), (70_000_000, 0)))
    assert due.changed and state['time'] == 1000 + HOUR
    assert state['slaves']['eth0']['counters']['tx_bytes'] == 70_000_000
    after = run(state, lacp(), 1300 + HOUR, nics((71_000_000, 72_000_000), (71_000_000, 0)))
    assert not after.changed and after.sampled == 1000 + HOUR
    assert [f.words for f in traffic.judge(lacp(), after) if f.name == 'traffic-share'] == [
        f'traffic {since(1000 + HOUR, 1300 + HOUR)}: sent 2.0 MB: eth0 50%, eth1 50%; '
        'received 2.0 MB: eth0 100%, eth1 0%']


def test_a_change_writes_the_bytes_of_now_so_that_they_are_those_of_its_time():
    state = baseline.new_state('bond0')
    run(state, lacp(), 1000, nics((0, 0), (0, 0)))
    churned = run(state, lacp(((0, 1), (0, 0))), 1300, nics((5_000_000, 0), (9, 0)))
    assert churned.changed and state['time'] == 1300
    assert state['slaves']['eth0']['counters']['tx_bytes'] == 5_000_000
    report = run(state, lacp(((0, 1), (0, 0))), 1600, nics((6_000_000, 0), (10, 0)))
    assert report.sampled == 1300 and report.grown['eth0']['tx_bytes'] == 1_000_000


def test_bytes_below_their_sample_say_nothing_of_an_enslavement():
    """Some drivers count in 32 bits: a byte count that went down wrapped (or the
    device was made anew, and its other counters tell that). No link failure is
    counted from 0 and the shares wait for the next sample."""
    state = baseline.new_state('bond0')
    run(state, lacp(failures=(3, 0)), 1000, nics((4_000_000_000, 0), (10, 0)))
    report = run(state, lacp(failures=(3, 0)), 1300, nics((5_000, 9_000_000), (10, 9_000_000)))
    assert report.findings == [] and report.total == 0
    assert 'tx_bytes' not in report.grown['eth0'] and traffic.judge(lacp(), report) == []


@pytest.mark.parametrize('mode, sent, received, idle', [
    ('802.3ad', (600_000, 500_000), (9_000_000, 10_000), 'eth1'),  # the switch's hashing
    ('balance-tlb', (9_000_000, 10_000), (9_000_000, 0), 'eth1'),  # receives on one by design
    ('balance-tlb', (9_000_000, 9_000_000), (9_000_000, 0), None),
    ('802.3ad', (500_000, 500_000), (500_000, 0), None),  # under 1 MiB: too little to tell
    ('active-backup', (9_000_000, 0), (9_000_000, 0), None),  # an idle backup is by design
])
def test_what_is_judged_where(mode, sent, received, idle):
    state = baseline.new_state('bond0')
    before = lacp(mode=mode)
    run(state, before, 1000, nics((0, 0), (0, 0)))
    report = run(state, before, 1300, nics((sent[0], received[0]), (sent[1], received[1])))
    found = [f.slave for f in traffic.judge(before, report) if f.name == 'slave-carries-nothing']
    assert found == ([idle] if idle else [])


def test_active_backup_keeps_no_bytes_and_writes_nothing_for_them():
    state = baseline.new_state('bond0')
    run(state, lacp(mode='active-backup'), 1000, nics((0, 0), (0, 0)))
    assert state['slaves']['eth0']['counters'] == {'link_failures': 0, 'actor_churns': 0,
                                                   'partner_churns': 0}


def test_a_port_outside_the_active_aggregator_is_not_expected_to_carry():
    state = baseline.new_state('bond0')
    split = lacp(agg_ids=(1, 2))
    run(state, split, 1000, nics((0, 0), (0, 0)))
    report = run(state, split, 1300, nics((9_000_000, 9_000_000), (0, 0)))
    assert traffic.judge(split, report) == []  # one carrier: aggregator-mismatch says why


def test_first_run_and_a_slave_made_anew_judge_no_traffic():
    state = baseline.new_state('bond0')
    first = run(state, lacp(), 1000, nics((9_000_000, 9_000_000), (0, 0)))
    assert traffic.judge(lacp(), first) == []
    again = run(state, lacp(), 1300, nics((1, 1), (9_000_000, 9_000_000)))  # eth0 made anew
    assert traffic.judge(lacp(), again) == []


# -- state files of the releases before --------------------------------------------

def store(directory, now):
    return BaselineStore(str(directory), '/', HOUR, False, lambda: now)


def stored_file(state_dir, state):
    state_dir.mkdir()
    path = Path(state_path(str(state_dir), 'bond0', root_tag('/')))
    path.write_text(json.dumps(state))
    os.chmod(path, 0o600)
    return path


FORMAT_1 = {'format': 1, 'bond': 'bond0', 'boot_id': 'boot', 'time': 1000.0, 'mode': '802.3ad',
            'active': None, 'events': [[900.0, 'link-failure', 'eth0', 1]],
            'slaves': {'eth0': {'link_failures': 1, 'perm_hwaddr': 'aa:00'},
                       'eth1': {'link_failures': 0, 'perm_hwaddr': 'aa:01'}}}


def test_a_file_of_1_0_0_keeps_its_baseline_and_the_churns_start_now(state_dir):
    path = stored_file(state_dir, FORMAT_1)
    report = store(state_dir, 1300).update(lacp(((0, 1), (0, 0)), failures=(2, 0)), 'boot',
                                           {}, nics((5, 5), (5, 5)))
    assert names(report) == [] and report.counts == {'eth0': 2}  # stored 1 + 1 new
    assert report.churns == {}  # no stored churn count to compare with
    upgraded = json.loads(path.read_text())
    assert upgraded['format'] == 2 and baseline.valid_state(upgraded)
    assert upgraded['slaves']['eth0']['counters'] == {
        'link_failures': 2, 'actor_churns': 0, 'partner_churns': 1, 'tx_bytes': 5, 'rx_bytes': 5}


def test_a_format_1_file_with_counters_keeps_them(state_dir):
    """The switch side's first form kept its counters in an optional "counters"
    record of format 1: they are the baseline, and a churn since counts."""
    state = copy.deepcopy(FORMAT_1)
    state['slaves']['eth0']['counters'] = {'actor_churns': 2, 'partner_churns': 2,
                                           'tx_bytes': 1000, 'rx_bytes': 1000}
    state['events'].append([950.0, baseline.CHURN, 'eth1', 1])
    path = stored_file(state_dir, state)
    report = store(state_dir, 1300).update(lacp(((2, 3), (0, 0)), failures=(1, 0)), 'boot',
                                           {}, nics((3_001_000, 1000), (1000, 1000)))
    assert names(report) == ['lacp-flaps', 'lacp-flaps']
    assert report.churns == {'eth0': 1, 'eth1': 1}  # the new one and the stored event
    assert report.grown['eth0']['tx_bytes'] == 3_000_000 and report.sampled == 1000.0
    assert json.loads(path.read_text())['slaves']['eth0']['counters']['partner_churns'] == 3


def test_a_format_2_file_without_the_new_counters_keeps_its_baseline(state_dir):
    """A file of main before the switch side (format 2, link_failures and
    carrier_losses only): no new baseline, nothing set aside; the new counters
    join at this run and count from the next."""
    state = {'format': 2, 'bond': 'bond0', 'boot_id': 'boot', 'time': 1000.0, 'mode': '802.3ad',
             'active': None, 'events': [[900.0, 'link-failure', 'eth0', 1]],
             'slaves': {name: {'perm_hwaddr': f'aa:0{i}', 'instance': 7 + i,
                               'no_link_since': None,
                               'counters': {'link_failures': i, 'carrier_losses': 2}}
                        for i, name in enumerate(('eth0', 'eth1'))}}
    path = stored_file(state_dir, state)
    bond = lacp(((0, 4), (0, 0)), failures=(0, 1))
    bond = bond._replace(slaves=[s._replace(carrier_losses=2) for s in bond.slaves])
    instances = {'eth0': 7, 'eth1': 8}
    report = store(state_dir, 1300).update(bond, 'boot', instances, nics((5, 5), (5, 5)))
    assert names(report) == [] and report.counts == {'eth0': 1}  # the stored event
    assert report.churns == {} and sorted(p.name for p in state_dir.iterdir()) == ['bond0.json']
    assert json.loads(path.read_text())['slaves']['eth0']['counters'] == {
        'link_failures': 0, 'carrier_losses': 2, 'actor_churns': 0, 'partner_churns': 4,
        'tx_bytes': 5, 'rx_bytes': 5}
    churned = lacp(((0, 5), (0, 0)), failures=(0, 1))
    churned = churned._replace(slaves=[s._replace(carrier_losses=2) for s in churned.slaves])
    later = store(state_dir, 1600).update(churned, 'boot', instances, nics((6, 6), (6, 6)))
    assert names(later) == ['lacp-flaps'] and later.churns == {'eth0': 1}


def test_a_quiet_802_3ad_bond_with_traffic_does_not_rewrite_its_file(state_dir):
    path = Path(state_path(str(state_dir), 'bond0', root_tag('/')))
    store(state_dir, 1000).update(lacp(), 'boot', {}, nics((0, 0), (0, 0)))
    written = path.stat()
    for n in range(1, 12):
        moved = n * 10_000_000
        store(state_dir, 1000 + 300 * n).update(lacp(), 'boot', {},
                                                nics((moved, moved), (moved, moved)))
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == (written.st_ino,
                                                                 written.st_mtime_ns)
    store(state_dir, 1000 + HOUR).update(lacp(), 'boot', {}, nics((9, 9), (9, 9)))
    assert path.stat().st_ino != written.st_ino  # an hour on: one write, the sample of now


def test_counters_that_update_cannot_use_are_not_valid():
    for bad in ({'tx_bytes': '7'}, {'tx_bytes': True}, {'tx_bytes': -1}, ['tx_bytes']):
        state = copy.deepcopy(FORMAT_1)
        state['slaves']['eth0']['counters'] = bad
        assert not baseline.valid_state(state), bad
        upgraded = baseline.upgrade(copy.deepcopy(FORMAT_1))
        upgraded['slaves']['eth0']['counters'] = bad
        upgraded['events'] = [list(e) for e in upgraded['events']]
        assert not baseline.valid_state(upgraded), bad
