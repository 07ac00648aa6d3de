"""The switch side: which switch each slave reaches, from lldpd
(LACP churn between two checks and a slave that carries nothing:
test_switch_counters.py).

The answers are lldpd's own, captured in the kernel test bed (lldp-* fixtures:
lldpd in the partners' namespaces, read by the host's lldpd); lldpcli's
keyvalue view of the same neighbours, captured with them, is the oracle.
"""
import json
import os
import socket

import pytest
from check_bonding import lldp
from check_bonding.capture import capture
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


def test_a_huge_or_odd_captured_reason_is_one_bounded_line(tmp_path):
    (tmp_path / 'run').mkdir()
    (tmp_path / lldp.SOCKET).write_text('why ' * 10 ** 6 + '\nsecond line\n')
    assert len(lldp.read(str(tmp_path)).unknown) == 300
    big = '{"lldp": [' + ' ' * (lldp.MAX_ANSWER + 10) + ']}'  # cut at the bound: not JSON
    (tmp_path / lldp.SOCKET).write_text(big)
    assert "lldpcli's answer not understood" in lldp.read(str(tmp_path)).unknown
