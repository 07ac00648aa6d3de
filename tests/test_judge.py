"""Each rule that judges a bond, on small hand-built bonds."""
from nagiosplugin.state import Critical, Ok, Warn

from check_bonding.judge import Expectation, judge
from helpers import NOTHING_EXPECTED, ab_bond, notes, problems, with_slave


def test_healthy_active_backup_has_no_problem():
    assert problems(ab_bond()) == []


def test_bond_mii_down_is_critical():
    assert (Critical, 'bond MII status down') in problems(ab_bond(mii_status='down'))


def test_no_active_slave_with_a_slave_up_is_critical():
    assert problems(ab_bond(active=None)) == [(Critical, 'no active slave')]


def test_single_slave_is_no_redundancy():
    bond = ab_bond()
    bond = bond._replace(slaves=bond.slaves[:1])
    assert problems(bond) == [(Warn, 'single slave eth0, no redundancy')]


def test_active_not_the_p_primary_always_warns_even_if_primary_down():
    bond = ab_bond(active='eth1', eth0='going back')
    assert problems(bond, Expectation(primaries=('eth0',))) == [
        (Warn, 'active eth1 is not primary eth0')]


def test_p_accepts_any_of_several():
    assert problems(ab_bond(active='eth1'), Expectation(primaries=('eth0', 'eth1'))) == []


def test_kernel_primary_always_warns_when_primary_up_but_not_active():
    assert problems(ab_bond(active='eth1')) == [(Warn, 'active eth1 is not primary eth0')]


def test_kernel_primary_down_is_not_a_primary_problem():
    assert problems(ab_bond(active='eth1', eth0='down')) == []


def test_primary_reselect_failure_is_by_design_and_says_so():
    findings = judge(ab_bond(active='eth1', reselect='failure'), Expectation())
    assert [f.state for f in findings] == [Ok]
    assert 'primary_reselect failure keeps eth1 active' in findings[0].text


def test_primary_reselect_better_accepts_a_faster_active_slave():
    bond = ab_bond(active='eth1', reselect='better')
    assert problems(bond) == []  # as fast: the kernel keeps eth1, by design
    assert problems(with_slave(bond, 0, speed=10000)) == [
        (Warn, 'active eth1 is not primary eth0')]
    assert problems(with_slave(bond, 1, duplex='half')) == [
        (Warn, 'active eth1 is not primary eth0')]
    bond = with_slave(bond, 1, speed=10000)
    assert (Warn, 'active eth1 is not primary eth0') not in problems(bond)


def test_primary_reselect_better_ranks_unknown_speed_fastest_as_the_kernel_does():
    """bond_choose_primary_or_current() compares u32 speeds: SPEED_UNKNOWN is
    0xFFFFFFFF, so the kernel keeps an unknown-speed active slave over a 10G primary."""
    bond = with_slave(with_slave(ab_bond(active='eth1', reselect='better'), 0, speed=10000),
                      1, speed=0, duplex=None)
    findings = judge(bond, NOTHING_EXPECTED)
    assert [(f.name, f.state) for f in findings if f.name.startswith('not-primary')] == [
        ('not-primary-by-design', Ok)]
    assert 'keeps eth1 (the kernel ranks its unknown speed above any)' in ' '.join(
        f.text for f in findings)
    # the other way round the kernel takes the unknown-speed primary back
    bond = with_slave(with_slave(ab_bond(active='eth1', reselect='better'), 0, speed=0), 1,
                      speed=10000)
    assert (Warn, 'active eth1 is not primary eth0') in problems(bond)


def test_a_p_primary_that_is_not_enslaved_is_said_so():
    assert problems(ab_bond(), Expectation(primaries=('eth9',))) == [
        (Warn, 'primary eth9 is not enslaved')]
    assert problems(ab_bond(active='eth1'), Expectation(primaries=('eth0', 'eth9'))) == [
        (Warn, 'active eth1 is not primary eth0/eth9')]


def test_mode_and_member_set_expectations():
    bond = ab_bond()
    expect = Expectation(mode='802.3ad', slaves=frozenset({'eth0', 'eth2'}))
    assert problems(bond, expect) == [(Warn, 'mode active-backup, expected 802.3ad'),
                                      (Warn, 'missing slave eth2'),
                                      (Warn, 'unexpected slave eth1')]


def test_no_link_monitoring_and_arp_without_targets():
    assert problems(ab_bond(miimon=0, arp_interval=0)) == [
        (Warn, 'no link monitoring (miimon 0, arp_interval 0)')]
    assert problems(ab_bond(miimon=0, arp_interval=1000)) == [
        (Warn, 'ARP monitoring every 1000 ms has no arp_ip_target')]
    assert problems(ab_bond(miimon=0, arp_interval=1000, arp_targets=['10.0.0.1'])) == []


def test_speed_mismatch_and_unknown_speed_where_the_mode_spreads_traffic():
    bond = with_slave(ab_bond(mode='balance-alb'), 1, speed=100)
    assert problems(bond) == [(Warn, 'speed/duplex differ: eth0 1000/full, eth1 100/full')]
    bond = with_slave(bond, 1, speed=0)
    assert problems(bond) == [(Warn, 'speed unknown on eth1')]
    bond = with_slave(bond, 1, mii_status='down')  # only slaves up count
    assert problems(bond) == []
    assert problems(with_slave(ab_bond(mode='balance-xor'), 1, speed=100)) != []


def test_mixed_or_unknown_speeds_by_design_are_notes():
    """A 10G primary with a slower backup is what bonding.rst describes for
    active-backup; an unknown speed (virtio) matters only to 802.3ad/tlb/alb."""
    bond = with_slave(ab_bond(), 1, speed=100)
    assert problems(bond) == []
    assert notes(bond) == [('speed-mismatch', 'speed/duplex differ: eth0 1000/full, '
                                              'eth1 100/full')]
    bond = with_slave(ab_bond(mode='balance-xor'), 1, speed=0)
    assert problems(bond) == [] and notes(bond) == [('speed-unknown', 'speed unknown on eth1')]
    assert problems(with_slave(ab_bond(mode='broadcast'), 1, speed=100)) == []


def test_bond_set_down_is_critical_though_proc_says_up():
    assert problems(ab_bond(operstate='down')) == [
        (Critical, 'interface down (operstate down, administratively down?)')]
    assert problems(ab_bond(operstate='up')) == []


def test_an_active_slave_that_is_not_listed_is_judged_not_a_crash():
    assert problems(ab_bond(active='eth9', reselect='better')) == [
        (Warn, 'active eth9 is not primary eth0')]
