"""The switch side (issue 25): which switch each slave reaches, from lldpd;
LACP churn between two checks; a slave that carries nothing.

The answers are lldpd's own, captured in the kernel test bed (lldp-* fixtures:
lldpd in the partners' namespaces, read by the host's lldpd); lldpcli's
keyvalue view of the same neighbours, captured with them, is the oracle.
"""
import json
import os
import socket
from typing import NamedTuple

import pytest
from nagiosplugin.state import Ok, Warn

from check_bonding import flaps, lldp, traffic
from check_bonding.capture import capture
from check_bonding.parse import Aggregator, Bond, Slave
from check_bonding.system import System
from check_bonding.shared_switch import judge
from helpers import FIXTURES, ab_bond, run_check

ONE = FIXTURES / 'lldp-one-switch'
TWO = FIXTURES / 'lldp-two-switches'


def keyvalue(path):
    """lldpcli -f keyvalue: {interface: {'chassis': 'mac ...', 'name': ..., 'port': 'mac ...'}}."""
    seen = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition('=')
        parts = key.split('.')  # lldp.<interface>.<entity>.<field>
        if len(parts) != 4:
            continue
        _, interface, entity, field = parts
        fields = seen.setdefault(interface, {})
        if field == 'name' and entity == 'chassis':
            fields['name'] = value
        elif field in ('mac', 'local', 'ifname', 'ip') and entity in ('chassis', 'port'):
            fields[entity] = f'{field} {value}'
    return seen


@pytest.mark.parametrize('tree', [ONE, TWO], ids=['one-switch', 'two-switches'])
def test_the_neighbours_read_are_those_lldpcli_shows(tree):
    oracle = keyvalue(tree / 'ORACLE-lldpcli')
    neighbours = lldp.read(str(tree))
    assert neighbours.unknown is None
    assert set(neighbours.by_interface) == set(oracle) == {'eth0', 'eth1'}
    for interface, fields in oracle.items():
        [seen] = neighbours.of(interface)
        assert (seen.chassis, seen.name, seen.port) == (fields['chassis'], fields['name'],
                                                        fields['port'])


def test_one_chassis_on_every_slave_is_a_shared_switch_and_ok_by_design():
    warned = run_check(['--root', ONE, '--no-state', '-b', 'bond0'])
    assert warned.code == 1
    assert warned.first_line.startswith(
        'BONDING WARNING - bond0: eth0 and eth1 reach one switch switch-a (chassis mac '
        '52:54:00:00:01:00), ports peer0 and peer1 (LLDP) |')
    by_design = run_check(['--root', ONE, '--no-state', '-b', 'bond0', '-v',
                           '--state', 'bond0=shared-switch=ok'])
    assert by_design.code == 0
    assert '\n  ok: eth0 and eth1 reach one switch switch-a' in by_design.output


def test_an_mlag_pair_is_two_switches_though_lacp_shows_one_partner():
    result = run_check(['--root', TWO, '--no-state', '-b', 'bond0', '-v'])
    assert result.code == 0
    assert 'reach partner 02:00:00:00:00:01: one LACP system' in result.output
    assert ('ok: slaves reach separate switches (LLDP): eth0 switch-a (chassis mac '
            '52:54:00:00:01:00) port peer0, eth1 switch-b (chassis mac 52:54:00:00:01:01) '
            'port peer1') in result.output


def answer_of(tree, edit):
    """The captured json0 answer of `tree`, changed by edit(interfaces)."""
    data = json.loads((tree / lldp.SOCKET).read_text())
    edit(data['lldp'][0]['interface'])
    return lldp.parse(json.dumps(data))


def test_a_slave_without_neighbour_is_not_judged_and_says_why():
    neighbours = answer_of(ONE, lambda interfaces: interfaces.pop(1))
    [note] = judge(ab_bond(), neighbours)
    assert (note.name, note.text) == ('switch-unknown', 'which switch each slave reaches is not '
                                      'known: no LLDP neighbour on eth1 (a switch that sends no '
                                      'LLDP, a port down, or lldpd not listening there)')


def test_two_chassis_behind_one_port_are_not_a_guess():
    def second_neighbour(interfaces):
        other = json.loads(json.dumps(interfaces[1]))
        other['name'] = 'eth0'
        interfaces.append(other)
    [note] = judge(ab_bond(), answer_of(TWO, second_neighbour))
    assert note.name == 'switch-unknown'
    assert 'more than one neighbour chassis on eth0 (something between' in note.text


def test_without_lldpd_a_run_does_not_even_load_the_lldp_reader():
    """One lstat of the socket's path: checked in a fresh interpreter, as the plugin runs."""
    import subprocess
    import sys
    code = ('import sys\nfrom check_bonding import plugin, options\ntry:\n'
            f'    plugin.run(options.parse_args(["--root", "{FIXTURES / "lacp-healthy"}", '
            '"--no-state", "-v"]))\nexcept SystemExit:\n'
            '    print("loaded:", " ".join(sorted(sys.modules)))')
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert 'lldpd is not running (no /run/lldpd.socket)' in done.stdout, done.stderr
    loaded = done.stdout.split('loaded: ')[1].split()
    assert 'check_bonding.shared_switch' in loaded and 'check_bonding.lldp' not in loaded


def test_no_lldpd_costs_a_stat_and_says_so(tmp_path):
    neighbours = lldp.read(str(tmp_path))
    assert neighbours.absent and neighbours.answer is None
    assert neighbours.unknown == ('lldpd is not running (no /run/lldpd.socket): install and '
                                  'start lldpd to know it')


def test_a_single_slave_bond_is_not_judged():
    bond = ab_bond()._replace(slaves=ab_bond().slaves[:1])
    assert judge(bond, lldp.read(str(ONE))) == []


@pytest.mark.parametrize('text, says', [
    ('{"lldp": [{"interface": [{"name": "eth0"}]}]}', "lldpcli's answer not understood (KeyError"),
    ('{"lldp": 7}', "lldpcli's answer not understood (TypeError"),
    ('{not json', "lldpcli's answer not understood (JSONDecodeError"),
    ('', 'is empty'),
    ('lldpd said no\n', 'lldpd said no'),
], ids=['no-chassis', 'not-a-list', 'not-json', 'empty', 'a-reason'])
def test_a_damaged_captured_answer_is_a_note_not_a_traceback(tmp_path, text, says):
    (tmp_path / 'run').mkdir()
    (tmp_path / lldp.SOCKET).write_text(text)
    neighbours = lldp.read(str(tmp_path))
    assert says in neighbours.unknown


def test_something_else_where_the_socket_should_be(tmp_path):
    (tmp_path / lldp.SOCKET).mkdir(parents=True)
    assert lldp.read(str(tmp_path)).unknown.endswith("/run/lldpd.socket is not lldpd's socket")


def test_a_socket_in_a_root_tree_is_never_handed_to_lldpcli(tmp_path):
    (tmp_path / 'run').mkdir()
    with socket.socket(socket.AF_UNIX) as bound:
        bound.bind(str(tmp_path / lldp.SOCKET))
        neighbours = lldp.read(str(tmp_path))
    assert neighbours.unknown.endswith('/run/lldpd.socket is a socket: lldpd is asked on the '
                                       'live system only')


@pytest.mark.skipif(lldp.lldpcli() is None, reason='lldpcli not installed (apt-get install lldpd)')
def test_a_socket_that_is_not_lldpd_is_asked_with_the_real_lldpcli(tmp_path):
    """A bound socket nobody listens on: lldpcli's own error, or (not root and
    not in group adm on Debian) why this user may not ask, and the fix."""
    path = tmp_path / 'lldpd.socket'
    with socket.socket(socket.AF_UNIX) as bound:
        bound.bind(str(path))
        neighbours = lldp.ask(str(path), os.lstat(path))
    if os.access(lldp.lldpcli(), os.X_OK):
        assert neighbours.unknown.startswith(f'{lldp.lldpcli()} failed (exit ')
        assert 'unable to connect' in neighbours.unknown  # lldpcli's words
    else:
        assert ' runs only for ' in neighbours.unknown and 'add ' in neighbours.unknown


def test_a_capture_keeps_the_answer_so_it_replays(tmp_path):
    """--capture of a capture: the answer file (lldpcli's JSON, or nobody's
    reason) comes along, and the replay says the same."""
    for tree in (ONE, FIXTURES / 'lldp-one-switch.nobody'):
        target = tmp_path / tree.name
        assert capture(System(str(tree)), ['bond0'], str(target)) == []
        assert (target / lldp.SOCKET).read_text() == (tree / lldp.SOCKET).read_text()
        again = run_check(['--root', target, '--no-state', '-b', 'bond0', '-v'])
        first = run_check(['--root', tree, '--no-state', '-b', 'bond0', '-v'])
        assert again.output == first.output


def test_without_lldpd_a_capture_has_no_answer_file(tmp_path):
    target = tmp_path / 'capture'
    capture(System(str(FIXTURES / 'lacp-healthy')), ['bond0'], str(target))
    assert not (target / lldp.SOCKET).exists()


# -- LACP churn between checks (lacp-flaps) and the traffic share (traffic.py) ---

HOUR = 3600


def lacp(churns=((0, 0), (0, 0)), failures=(0, 0), agg_ids=(1, 1)):
    return Bond(name='bond0', mode='802.3ad', mii_status='up', xmit_hash_policy='layer2',
                aggregator=Aggregator(id=1, ports=2), slaves=[
                    Slave(name=f'eth{i}', mii_status='up', link_failures=f, perm_hwaddr=f'aa:0{i}',
                          actor_churns=a, partner_churns=p, aggregator_id=agg)
                    for i, ((a, p), f, agg) in enumerate(zip(churns, failures, agg_ids))])


class Nic(NamedTuple):  # what psutil's per-interface counters give (the fields read)
    bytes_sent: int
    bytes_recv: int


def nics(*pairs):
    return {f'eth{i}': Nic(*pair) for i, pair in enumerate(pairs)}


def run(state, bond, now, counters=None):
    return flaps.update(state, bond, 'boot', now, HOUR, nics=counters)


def test_churn_since_the_last_check_is_a_warning_for_the_window_with_the_link_up():
    state = flaps.new_state(lacp())
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
    state = flaps.new_state(lacp())
    run(state, lacp(), 1000)
    report = run(state, lacp(((2, 3), (0, 0)), failures=(1, 0)), 1300)
    assert 'eth0 LACP out of sync 3 times in the last 1h (churn count), last 0 s ago' in [
        f.words for f in report.findings]


def test_restarted_churn_counts_and_old_kernels_count_nothing():
    state = flaps.new_state(lacp())
    run(state, lacp(((5, 5), (5, 5))), 1000)
    assert run(state, lacp(((0, 0), (5, 5))), 1300).findings == []  # re-enslaved: from 0
    assert state['slaves']['eth0']['counters'] == {'actor_churns': 0, 'partner_churns': 0}
    old = flaps.new_state(lacp())
    run(old, lacp(((None, None), (None, None))), 1000)
    assert 'counters' not in old['slaves']['eth0']  # the record as before


def test_a_state_file_of_the_previous_release_keeps_its_baseline():
    """Format 1 without "counters": loads, keeps its link failure baseline, counts on."""
    state = {'format': 1, 'bond': 'bond0', 'boot_id': 'boot', 'time': 1000.0, 'mode': '802.3ad',
             'active': None, 'events': [],
             'slaves': {'eth0': {'link_failures': 0, 'perm_hwaddr': 'aa:00'},
                        'eth1': {'link_failures': 0, 'perm_hwaddr': 'aa:01'}}}
    assert flaps.valid_state(state)
    report = run(state, lacp(((0, 1), (0, 0)), failures=(1, 0)), 1300)
    assert report.counts == {'eth0': 1} and report.churns == {}  # no stored churns to compare
    assert state['slaves']['eth0']['counters'] == {'actor_churns': 0, 'partner_churns': 1}
    assert flaps.valid_state(json.loads(json.dumps(state)))
    for bad in ({'tx_bytes': '7'}, {'tx_bytes': True}, ['tx_bytes']):
        broken = json.loads(json.dumps(state))
        broken['slaves']['eth0']['counters'] = bad
        assert not flaps.valid_state(broken)


def test_a_slave_that_carries_nothing_is_a_note_and_the_shares_are_told():
    state = flaps.new_state(lacp())
    run(state, lacp(), 1000, nics((10_000, 20_000), (10_000, 20_000)))
    report = run(state, lacp(), 1300, nics((5_010_000, 3_020_000), (12_000, 20_100)))
    assert [(f.name, f.state, f.words) for f in traffic.judge(lacp(), report)] == [
        ('slave-carries-nothing', Ok, 'eth1 carried next to nothing since the last check 5 min '
         'ago: 0.0% of the 5.0 MB sent and 0.0% of the 3.0 MB received (xmit_hash_policy '
         'layer2, or the switch side)'),
        ('traffic-share', Ok, 'traffic since the last check 5 min ago: sent 5.0 MB: eth0 100%, '
                              'eth1 0%; received 3.0 MB: eth0 100%, eth1 0%')]


@pytest.mark.parametrize('mode, sent, received, idle', [
    ('802.3ad', (600_000, 500_000), (9_000_000, 10_000), 'eth1'),  # the switch's hashing
    ('balance-tlb', (9_000_000, 10_000), (9_000_000, 0), 'eth1'),  # receives on one by design
    ('balance-tlb', (9_000_000, 9_000_000), (9_000_000, 0), None),
    ('802.3ad', (500_000, 500_000), (500_000, 0), None),  # under 1 MiB: too little to tell
    ('active-backup', (9_000_000, 0), (9_000_000, 0), None),  # an idle backup is by design
])
def test_what_is_judged_where(mode, sent, received, idle):
    state = flaps.new_state(lacp())
    before = lacp()._replace(mode=mode)
    run(state, before, 1000, nics((0, 0), (0, 0)))
    report = run(state, before, 1300, nics((sent[0], received[0]), (sent[1], received[1])))
    found = [f.slave for f in traffic.judge(before, report) if f.name == 'slave-carries-nothing']
    assert found == ([idle] if idle else [])


def test_a_port_outside_the_active_aggregator_is_not_expected_to_carry():
    state = flaps.new_state(lacp())
    split = lacp(agg_ids=(1, 2))
    run(state, split, 1000, nics((0, 0), (0, 0)))
    report = run(state, split, 1300, nics((9_000_000, 9_000_000), (0, 0)))
    assert traffic.judge(split, report) == []  # one carrier: aggregator-mismatch says why


def test_first_run_and_restarted_counters_judge_no_traffic():
    state = flaps.new_state(lacp())
    first = run(state, lacp(), 1000, nics((9_000_000, 9_000_000), (0, 0)))
    assert traffic.judge(lacp(), first) == []
    again = run(state, lacp(), 1300, nics((1, 1), (9_000_000, 9_000_000)))  # eth0 made anew
    assert traffic.judge(lacp(), again) == []


def test_a_huge_or_odd_captured_reason_is_one_bounded_line(tmp_path):
    (tmp_path / 'run').mkdir()
    (tmp_path / lldp.SOCKET).write_text('why ' * 10 ** 6 + '\nsecond line\n')
    assert len(lldp.read(str(tmp_path)).unknown) == 300
    big = '{"lldp": [' + ' ' * (lldp.MAX_ANSWER + 10) + ']}'  # cut at the bound: not JSON
    (tmp_path / lldp.SOCKET).write_text(big)
    assert "lldpcli's answer not understood" in lldp.read(str(tmp_path)).unknown
