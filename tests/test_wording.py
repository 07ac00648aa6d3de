"""The words (wording.py): labels, the first line's entries and budget, the
description of a bond, the -vv facts; on hand-built records."""
from nagiosplugin.state import Critical, Warn

from check_bonding.findings import Finding
from check_bonding.parse import Bond, Slave
from check_bonding.wording import bond_facts, describe, entry, fit, label, slave_facts
from helpers import ab_bond


def test_labels_are_unique_for_names_the_guidelines_forbid_in_labels():
    assert label('bond0', 'slaves_up') == 'bond0_slaves_up'
    assert label('e=1', 'link_failures') == 'e%3D1_link_failures'
    assert label('e%3D1', 'link_failures') == 'e%253D1_link_failures'
    assert label('e_1', 'link_failures') == 'e_1_link_failures'
    assert {label(n, 'x') for n in ("a'b", 'a|b', 'a=b', 'a%b')} == {
        'a%27b_x', 'a%7Cb_x', 'a%3Db_x', 'a%25b_x'}


def test_one_entry_per_subject_the_first_finding_names_it_the_others_follow():
    down = Finding('slave-down', Warn, 'down', 'eth0')
    failed = Finding('link-failures', Warn, 'link failed 1 time in the last 1h', 'eth0')
    assert entry([down]) == 'eth0 down'
    assert entry([down, failed]) == 'eth0 down (link failed 1 time in the last 1h)'
    assert entry([Finding('bond-down', Critical, 'bond MII status down')]) == \
        'bond MII status down'


def test_fit_keeps_what_fits_and_counts_the_rest_but_always_one():
    parts = ['a' * 10, 'b' * 10, 'c' * 10]
    assert fit(parts, 100) == ', '.join(parts)
    assert fit(parts, 22) == 'aaaaaaaaaa, bbbbbbbbbb (+1 more)'
    assert fit(parts, 5) == 'aaaaaaaaaa (+2 more)'


def test_a_bond_is_described_by_mode_active_slave_and_slaves_up():
    bond = ab_bond()
    assert describe(bond, ('eth0',)) == 'bond0 active-backup, active eth0 (primary), 2/2 slaves up'
    assert describe(bond, ()) == 'bond0 active-backup, active eth0, 2/2 slaves up'
    xor = bond._replace(mode='balance-xor', active_slave=None)
    assert describe(xor, ('eth0',)) == 'bond0 balance-xor, 2/2 slaves up'


def test_the_vv_facts_say_what_is_known_and_leave_out_what_is_not():
    bond = Bond(name='bond0', driver='6.1.0', miimon=100, updelay=0, downdelay=0,
                use_carrier=0, mtu=9000)
    assert bond_facts(bond) == ['driver 6.1.0', 'miimon 100 ms', 'updelay 0 ms',
                                'downdelay 0 ms', 'MTU 9000',
                                'use_carrier 0 (the driver asks the NIC)']
    slave = Slave(name='eth0', mii_status='up', carrier=0, operstate='lowerlayerdown',
                  speed=0, link_failures=2, perm_hwaddr='52:54:00:00:00:00',
                  actor_port_state=0x3d)
    assert slave_facts(slave) == [
        'MII up', 'no carrier (operstate lowerlayerdown)', 'unknown Mbps', 'link failures 2',
        'actor LACP activity/aggregation/synchronization/collecting/distributing',
        'permanent HW addr 52:54:00:00:00:00']
