"""Each rule that judges a bond, on small hand-built bonds."""
from nagiosplugin.state import Critical, Ok, Warn

from check_bonding.judge import Expectation, judge
from check_bonding.parse import Aggregator, Bond, Slave


def ab_bond(active='eth0', primary='eth0', reselect='always', eth0='up', eth1='up', **kw):
    fields = dict(mode='active-backup', primary=primary, primary_reselect=reselect,
                  active_slave=active, mii_status='up', miimon=100)
    fields.update(kw)
    return Bond(name='bond0', slaves=[
        Slave(name='eth0', mii_status=eth0, speed=1000, duplex='full', link_failures=0),
        Slave(name='eth1', mii_status=eth1, speed=1000, duplex='full', link_failures=0)], **fields)


def with_slave(bond, index, **fields):
    slaves = list(bond.slaves)
    slaves[index] = slaves[index]._replace(**fields)
    return bond._replace(slaves=tuple(slaves))


NOTHING_EXPECTED = Expectation()


def problems(bond, expect=NOTHING_EXPECTED):
    return [(f.state, f.text) for f in judge(bond, expect) if f.state != Ok]


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


def notes(bond):
    return [(f.name, f.text) for f in judge(bond, NOTHING_EXPECTED) if f.state == Ok]


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


def lacp_bond(agg=None, states=(61, 61), agg_ids=(1, 1), actor=(61, 61)):
    return Bond(name='bond0', mode='802.3ad', mii_status='up', miimon=100, aggregator=agg, slaves=[
        Slave(name=f'eth{i}', mii_status='up', speed=1000, duplex='full', link_failures=0,
              aggregator_id=agg_ids[i],
              actor_port_state=actor[i], partner_port_state=states[i]) for i in (0, 1)])


def test_lacp_healthy_with_and_without_the_privileged_aggregator_view():
    assert problems(lacp_bond(Aggregator(1, 2, 15, 1, '00:23:04:ee:be:01'))) == []
    assert problems(lacp_bond(None)) == []


def test_lacp_slave_outside_the_active_aggregator():
    assert problems(lacp_bond(Aggregator(1, 1, partner_mac='00:23:04:ee:be:01'),
                              agg_ids=(1, 2))) == [
        (Warn, 'eth1 in aggregator 2, not the active aggregator 1')]


def test_lacp_mismatch_seen_unprivileged_from_slave_aggregator_ids():
    assert problems(lacp_bond(None, agg_ids=(1, 2))) == [
        (Warn, 'slaves in different aggregators: eth0 in 1, eth1 in 2')]


def test_lacp_fewer_ports_than_slaves_up():
    assert problems(lacp_bond(Aggregator(1, 1, partner_mac='00:23:04:ee:be:01'))) == [
        (Warn, 'active aggregator 1 has 1 ports for 2 slaves up')]


def test_lacp_defaulted_partner_means_no_lacpdus():
    bond = lacp_bond(Aggregator(1, 2, partner_mac='00:00:00:00:00:00'), states=(1, 1),
                     actor=(0x47, 0x47))
    assert problems(bond) == [(Warn, 'no LACPDUs received on eth0, eth1 (switch not doing LACP?)')]


def test_lacp_partner_not_distributing_and_zero_partner_mac():
    bond = lacp_bond(Aggregator(1, 2, partner_mac='00:00:00:00:00:00'), states=(61, 0x0d))
    assert problems(bond) == [
        (Warn, 'eth1 partner not synchronization/collecting/distributing (state 13)'),
        (Warn, 'partner MAC 00:00:00:00:00:00 (no LACP partner)')]


def test_lacp_no_active_aggregator():
    bond = lacp_bond(None)._replace(no_active_aggregator=True)
    assert problems(bond) == [(Warn, 'no active aggregator')]


def test_bond_set_down_is_critical_though_proc_says_up():
    assert problems(ab_bond(operstate='down')) == [
        (Critical, 'interface down (operstate down, administratively down?)')]
    assert problems(ab_bond(operstate='up')) == []


def test_lacp_churned_port_is_named():
    bond = with_slave(lacp_bond(None), 1, actor_churn='churned', partner_churn='none')
    assert problems(bond) == [(Warn, 'LACP churned on eth1')]


def test_an_active_slave_that_is_not_listed_is_judged_not_a_crash():
    assert problems(ab_bond(active='eth9', reselect='better')) == [
        (Warn, 'active eth9 is not primary eth0')]
