"""ovs/parse.py and ovs/source.py on the answers of the real ovs-vswitchd 3.1
(captured in tests/data/fixtures/ovs-*), on the words of OVS before 2.15
('slave'), on hostile text, and the ways a source fails."""
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from check_bonding.ovs import parse, rules, source
from check_bonding.judge import Expectation
from check_bonding.parse import port_state_flags
from helpers import FIXTURES


def captured(name):
    return source.replay(str(FIXTURES / name))


def bond(name, port='bond0'):
    return next(b for b in parse.bonds(captured(name)) if b.port == port)


def test_a_negotiated_lacp_bond_as_ovs_3_1_prints_it():
    ovs = bond('ovs-lacp')
    assert (ovs.name, ovs.mode, ovs.lacp_status, ovs.lacp_mode, ovs.lacp_time) == (
        'ovs:bond0', 'balance-tcp', 'negotiated', 'active', 'fast')
    assert [(m.name, m.enabled, m.lacp, m.attached, m.link_failures) for m in ovs.members] == [
        ('a1', True, 'current', True, 0), ('a2', True, 'current', True, 0)]
    # the partner's last LACPDU may still say expired (sent before it heard ours)
    assert port_state_flags(ovs.members[0].partner_state)[:6] == [
        'activity', 'timeout', 'aggregation', 'synchronization', 'collecting', 'distributing']
    assert ovs.active_slave is None  # balance-tcp: no failover to track
    assert rules.judge(ovs, Expectation()) == []


def test_a_member_without_its_link():
    down = bond('ovs-lacp-member-down').slave('a2')
    assert (down.enabled, down.may_enable, down.up) == (False, False, False)
    assert down.carrier_changed == 1 and down.link_failures == 1
    # its carrier went (one change from up): the link is down, LACP expired by it
    assert down.mii_status == 'down (no carrier, LACP expired)'


@pytest.mark.parametrize('fields, status', [
    ({'lacp': 'defaulted', 'carrier_changed': 3}, 'down (no carrier)'),
    ({'lacp': 'expired', 'carrier_changed': 2}, 'disabled (LACP expired)'),  # link back
    ({'lacp': 'expired', 'carrier_changed': 0, 'link_expired': 1}, 'disabled (LACP expired)'),
    ({'lacp': 'expired', 'carrier_changed': None}, 'disabled (LACP expired)'),
    ({'lacp': 'current', 'carrier_changed': 1, 'may_enable': True}, 'disabled'),
])
def test_no_carrier_is_an_odd_carrier_status_changed_on_a_member_ovs_may_not_enable(
        fields, status):
    member = parse.OvsMember(**{'name': 'a1', 'may_enable': False, **fields})
    assert member.mii_status == status


def test_lacp_stopped_with_the_carrier_up_is_still_lacp():
    gone = bond('ovs-lacp-partner-gone')
    assert [m.mii_status for m in gone.members] == ['disabled', 'disabled']
    assert [m.no_carrier for m in gone.members] == [False, False]


def test_active_backup_primary_and_updelay():
    ovs = bond('ovs-ab-going-back')
    assert (ovs.mode, ovs.primary, ovs.active_member, ovs.lacp_status, ovs.updelay) == (
        'active-backup', 'a2', 'a1', 'off', 4000)
    assert ovs.slave('a2').mii_status.startswith('disabled (updelay expires in ')
    assert ovs.slave('a2').carrier_down_count is None  # not in this network namespace


def test_partner_gone_and_fallback():
    gone, fallback = bond('ovs-lacp-partner-gone'), bond('ovs-lacp-fallback')
    assert gone.lacp_status == fallback.lacp_status == 'configured'
    assert [f.name for f in rules.judge(gone, Expectation())] == ['ovs-lacp-not-negotiated']
    assert [f.name for f in rules.judge(fallback, Expectation())] == ['ovs-lacp-fallback-ab']
    assert all(m.lacp == 'defaulted' for m in gone.members)


# OVS 2.14's words, as its ofproto/bond.c and lib/lacp.c print them (2.15 renamed
# slave to member): the same bond as ovs-lacp-member-down
OLD_LIST = 'bond\ttype\trecircID\tslaves\nbond0\tbalance-tcp\t1\ta1, a2\n'
OLD_SHOW = '''---- bond0 ----
bond_mode: balance-tcp
bond may use recirculation: yes, Recirc-ID : 1
bond-hash-basis: 0
updelay: 0 ms
downdelay: 0 ms
next rebalance: 6964 ms
lacp_status: negotiated
lacp_fallback_ab: false
active-backup primary: <none>
active slave mac: 8a:2b:90:f6:d0:3e(a1)

slave a1: enabled
  active slave
  may_enable: true

slave a2: disabled
  may_enable: false

'''
OLD_LACP = '''---- bond0 ----
  status: active negotiated
  sys_id: fa:79:1a:05:fc:4a
  sys_priority: 65534
  aggregation key: 1
  lacp_time: fast

slave: a1: current attached
  port_id: 1
  port_priority: 65535
  may_enable: true

  actor sys_id: fa:79:1a:05:fc:4a
  actor state: activity timeout aggregation synchronized collecting distributing

  partner sys_id: ee:97:83:26:a3:42
  partner key: 1
  partner state: activity timeout aggregation synchronized collecting distributing

slave: a2: expired attached
  port_id: 2
  may_enable: false

  actor state: activity timeout aggregation synchronized collecting distributing expired

  partner sys_id: ee:97:83:26:a3:42
  partner key: 1
  partner state: activity timeout aggregation collecting distributing
'''
OLD_STATS = '''---- bond0 statistics ----

slave: a1:
  TX PDUs: 5
  RX PDUs: 4
  RX Bad PDUs: 0
  RX Marker Request PDUs: 0
  Link Expired: 0
  Link Defaulted: 0
  Carrier Status Changed: 0

slave: a2:
  TX PDUs: 7
  RX PDUs: 6
  RX Bad PDUs: 0
  RX Marker Request PDUs: 0
  Link Expired: 0
  Link Defaulted: 0
  Carrier Status Changed: 1
'''


def test_ovs_before_2_15_said_slave():
    [old] = parse.bonds({'bond/list': OLD_LIST, 'bond/show': OLD_SHOW, 'lacp/show': OLD_LACP,
                         'lacp/show-stats': OLD_STATS})
    assert old.active_member == 'a1'
    assert [(m.name, m.enabled, m.active, m.lacp, m.link_failures) for m in old.members] == [
        ('a1', True, True, 'current', 0), ('a2', False, False, 'expired', 1)]
    assert old.slave('a2').mii_status == 'down (no carrier, LACP expired)'


def test_a_member_all_down_is_still_a_member():
    """Checkmk's ovs_bonding drops a bond whose members are all down; its bond/list
    line still names them."""
    [lone] = parse.bonds({'bond/list': 'bond\ttype\trecircID\tmembers\nb\tbalance-slb\t0\tx, y\n'})
    assert [m.name for m in lone.members] == ['x', 'y'] and not lone.slaves_up


@given(st.dictionaries(st.sampled_from(source.COMMANDS), st.text(max_size=400)))
@settings(max_examples=300)
def test_any_answer_parses_without_an_exception(answers):
    for ovs in parse.bonds(answers):
        rules.judge(ovs, Expectation(primaries=('x',), mode='balance-slb',
                                     slaves=frozenset({'a'})))


@given(st.text(alphabet='ab12: \t\n-,()memberslave', max_size=300))
def test_member_like_garbage_parses(text):
    parse.bonds({'bond/list': 'h\nb\tbalance-tcp\t1\t' + text.split('\n')[0],
                 'bond/show': '---- b ----\n' + text, 'lacp/show': '---- b ----\n' + text,
                 'lacp/show-stats': '---- b statistics ----\n' + text})


def test_no_pidfile_is_no_ovs(tmp_path):
    assert source.answers('/', {'OVS_RUNDIR': str(tmp_path)}) is None
    assert source.answers(str(tmp_path)) is None  # --root without var/run/openvswitch


@pytest.mark.parametrize('pid, kind, words', [
    ('junk\n', 'unreadable', 'holds no pid'),
    ('4194999\n', 'unreadable', 'not running'),
])
def test_a_pidfile_without_a_daemon(tmp_path, pid, kind, words):
    (tmp_path / 'ovs-vswitchd.pid').write_text(pid)
    with pytest.raises(source.OvsError) as raised:
        source.answers('/', {'OVS_RUNDIR': str(tmp_path)})
    assert raised.value.kind == kind and words in str(raised.value)


def test_a_capture_replays_its_error(tmp_path):
    (tmp_path / 'ovs-appctl').mkdir()
    (tmp_path / 'ovs-appctl' / 'error').write_text('needs-root: /x.ctl: Permission denied\n')
    with pytest.raises(source.OvsError) as raised:
        source.answers(str(tmp_path))
    assert raised.value.kind == 'needs-root' and str(raised.value) == '/x.ctl: Permission denied'


def test_an_unreadable_captured_answer_is_unreadable(tmp_path):
    (tmp_path / 'ovs-appctl' / 'bond-list').mkdir(parents=True)  # a directory, not a file
    with pytest.raises(source.OvsError) as raised:
        source.answers(str(tmp_path))
    assert raised.value.kind == 'unreadable'


def test_a_socket_path_longer_than_sun_path_is_reached_by_its_directory(tmp_path):
    """As ovs-appctl does; the connection fails here (nothing listens) with the path named."""
    deep = tmp_path / ('d' * 120)
    deep.mkdir()
    (deep / 'ovs-vswitchd.pid').write_text(f'{os.getpid()}\n')
    with pytest.raises(source.OvsError) as raised:
        source.answers('/', {'OVS_RUNDIR': str(deep)})
    assert 'not running' in str(raised.value) and str(deep) in str(raised.value)


def test_the_states_table_names_real_findings_and_every_ovs_one():
    from check_bonding.findings import FINDINGS
    named = {name for _, names, *_ in rules.STATES for name in names}
    assert named <= set(FINDINGS)
    assert {name for name in FINDINGS if name.startswith('ovs-')} <= named


def test_a_fifo_in_a_captured_tree_does_not_hang(tmp_path):
    (tmp_path / 'ovs-appctl').mkdir()
    os.mkfifo(tmp_path / 'ovs-appctl' / 'bond-show')
    (tmp_path / 'ovs-appctl' / 'bond-list').write_text(OLD_LIST)
    [fifo] = parse.bonds(source.answers(str(tmp_path)))
    assert [m.name for m in fifo.members] == ['a1', 'a2'] and not fifo.slaves_up


@pytest.mark.slow  # waits out its timeout
def test_a_daemon_that_never_answers_ends_in_the_timeout(tmp_path):
    """A listening socket nobody serves (a hung ovs-vswitchd): -t ends the run, UNKNOWN."""
    import socket
    import subprocess
    import sys
    from pathlib import Path
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / 'ovs-vswitchd.4242.ctl'))
    listener.listen(1)
    (tmp_path / 'ovs-vswitchd.pid').write_text('4242\n')
    try:
        result = subprocess.run(
            [Path(sys.executable).parent / 'check_bonding', '--no-state', '-t', '1'],
            env={'PATH': '/usr/bin:/bin', 'OVS_RUNDIR': str(tmp_path)}, capture_output=True,
            text=True, timeout=30, check=False)
    finally:
        listener.close()
    assert result.returncode == 3, result.stdout
    assert result.stdout == 'BONDING UNKNOWN - timeout: no result within 1s (-t)\n'


MEMBER_TEXT = st.text(alphabet='ab12:= \t|%\'-,()\xff\u2003', min_size=1, max_size=12)


@given(st.lists(st.tuples(MEMBER_TEXT, st.lists(MEMBER_TEXT, max_size=3)), max_size=4),
       st.binary(max_size=300))
@settings(max_examples=60, deadline=None)
def test_the_whole_check_on_hostile_ovs_answers_stays_within_the_plugin_api(
        tmp_path_factory, listed, garbage):
    """Any names and bytes in a captured tree: exit 0-3, one valid first line,
    unique perfdata labels."""
    import re
    from helpers import perfdata_items, run_check
    root = tmp_path_factory.mktemp('hostile')
    (root / 'ovs-appctl').mkdir()
    (root / 'ovs-appctl' / 'bond-list').write_text('bond\ttype\trecircID\tmembers\n' + ''.join(
        f'{port}\tbalance-tcp\t1\t{", ".join(members)}\n' for port, members in listed),
        errors='surrogateescape')
    for name in ('bond-show', 'lacp-show', 'lacp-show-stats'):
        (root / 'ovs-appctl' / name).write_bytes(garbage)
    result = run_check(['--root', root, '--no-state', '-v'])
    assert result.code in (0, 1, 2, 3)
    assert re.fullmatch(r"BONDING (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]+( \| .+)?",
                        result.first_line), result.output
    labels = [label for label, _ in perfdata_items(result.output.split('|', 1)[-1])] \
        if '|' in result.output else []
    assert len(labels) == len(set(labels)), result.output
