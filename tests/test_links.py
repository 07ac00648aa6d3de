"""What the links say where the driver is blind (links.py) and why a bond is down."""
from nagiosplugin.state import Critical, Ok, Warn

from check_bonding.judge import Expectation, judge
from check_bonding.parse import Aggregator, Bond, Slave
from helpers import NOTHING_EXPECTED


def bond(mode='active-backup', miimon=0, active='eth0', carriers=(1, 1), mtus=(1500, 1500),
         **fields):
    slaves = [Slave(name=f'eth{i}', mii_status='up', speed=1000, duplex='full', link_failures=0,
                    carrier=carrier, operstate='up' if carrier else 'lowerlayerdown', mtu=mtu)
              for i, (carrier, mtu) in enumerate(zip(carriers, mtus))]
    fields = {'flags': 0x1003, 'mtu': 1500, 'use_carrier': 1, **fields}
    return Bond(name='bond0', mode=mode, mii_status='up', miimon=miimon, active_slave=active,
                slaves=tuple(slaves), **fields)



def findings(b, expect=NOTHING_EXPECTED, names=None):
    return [(f.name, f.state, f.words) for f in judge(b, expect)
            if names is None or f.name in names]


def test_no_monitoring_and_the_active_slave_without_carrier_is_critical():
    assert findings(bond(carriers=(0, 1)), names=('no-carrier',)) == [
        ('no-carrier', Critical, 'eth0 has no carrier but the bond counts it up '
                                 '(no link monitoring)')]


def test_no_monitoring_and_a_backup_without_carrier_is_a_warning():
    assert findings(bond(carriers=(1, 0)), names=('no-carrier',)) == [
        ('no-carrier', Warn, 'eth1 has no carrier but the bond counts it up (no link '
                             'monitoring)')]


def test_load_balancing_modes_send_through_every_slave():
    assert findings(bond(mode='balance-xor', active=None, carriers=(1, 0)),
                    names=('no-carrier',))[0][1] == Critical
    assert findings(bond(mode='broadcast', active=None, carriers=(1, 0)),
                    names=('no-carrier',))[0][1] == Warn


def test_with_monitoring_a_disagreement_is_a_note_and_use_carrier_0_says_why():
    assert findings(bond(miimon=100, carriers=(1, 0)), names=('no-carrier',)) == [
        ('no-carrier', Ok, 'eth1 has no carrier but the bond counts it up (its link monitor '
                           'has not seen it yet)')]
    assert 'use_carrier 0: the driver asks the NIC' in findings(
        bond(miimon=100, carriers=(1, 0), use_carrier=0), names=('no-carrier',))[0][2]


def test_a_slave_set_down_reads_no_carrier_and_unknown_carrier_is_not_judged():
    b = bond()
    set_down = b._replace(slaves=(b.slaves[0]._replace(carrier=None, operstate='down'),
                                  b.slaves[1]))
    assert findings(set_down, names=('no-carrier',)) == [
        ('no-carrier', Critical, 'eth0 is set down but the bond counts it up (no link '
                                 'monitoring)')]
    unknown = b._replace(slaves=tuple(s._replace(carrier=None, operstate=None) for s in b.slaves))
    assert findings(unknown, names=('no-carrier',)) == []


def test_going_down_within_downdelay_is_not_reported_twice():
    b = bond(miimon=100, carriers=(0, 1))
    b = b._replace(slaves=(b.slaves[0]._replace(mii_status='going down'), b.slaves[1]))
    assert findings(b, names=('no-carrier',)) == []


def test_why_a_bond_is_down():
    assert findings(bond(flags=0x1002), names=('bond-admin-down',)) == [
        ('bond-admin-down', Critical, 'interface set down (administratively)')]
    lacp = bond(mode='802.3ad', miimon=100, min_links=2, aggregator=Aggregator(id=1, ports=1))
    assert findings(lacp._replace(mii_status='down'), names=('bond-min-links', 'bond-down')) == [
        ('bond-min-links', Critical, 'held down by min_links 2: 1 port up')]
    assert findings(bond()._replace(mii_status='down'), names=('bond-down',)) == [
        ('bond-down', Critical, 'bond MII status down')]
    # carrier on and IFF_UP set: an operstate of down only lags
    assert findings(bond(operstate='down'), names=('bond-admin-down', 'bond-down')) == []


def test_min_links_margin_is_a_note():
    lacp = bond(mode='802.3ad', miimon=100, min_links=1, aggregator=Aggregator(id=1, ports=2))
    assert findings(lacp, names=('min-links-margin',)) == [
        ('min-links-margin', Ok, 'min_links 1: 1 more lost link allowed')]
    lacp = lacp._replace(min_links=2)
    assert findings(lacp, names=('min-links-margin',)) == [
        ('min-links-margin', Ok, 'min_links 2: the next lost link takes the bond down')]


def test_a_slave_mtu_below_the_bonds_loses_frames_and_above_it_is_a_note():
    """A slave MTU above the bond's: the bond sends at most its own MTU; only a slave below it
    drops the larger frames."""
    mtus = ('mtu-mismatch', 'mtu-larger')
    assert findings(bond(mtus=(1500, 1400)), names=mtus) == [
        ('mtu-mismatch', Warn, 'MTU 1500 on bond0 but 1400 on eth1')]
    assert findings(bond(mtus=(1500, 9000)), names=mtus) == [
        ('mtu-larger', Ok, 'MTU 1500 on bond0 but 9000 on eth1: nothing lost, the bond sends '
                           'at most its own MTU')]
    assert [state for _, state, _ in findings(bond(mtus=(9000, 1500), mtu=9000), names=mtus)] \
        == [Warn]
    assert findings(bond(mtus=(1500, 9000))._replace(mtu=None), names=mtus) == [
        ('mtu-mismatch', Warn, 'MTU 1500 but 9000 on eth1')]  # which one is right: unknown
    assert findings(bond(), names=mtus) == []


def arp(carriers=(0, 1), active='eth0', missed=None, **fields):
    return bond(carriers=carriers, active=active, arp_interval=1000, arp_missed_max=missed,
                arp_targets=('192.0.2.1',), **fields)


def test_arp_monitoring_keeps_a_dead_active_slave_up_for_missed_intervals():
    """A dead active slave under ARP: the ARP monitor never looks at the carrier;
    with arp_missed_max over 1 its next poll does not see the loss either."""
    assert findings(arp(missed=10), names=('no-carrier',)) == [
        ('no-carrier', Critical, 'eth0 has no carrier but the bond counts it up (ARP '
                                 'monitoring ignores the carrier: up to 10 x 1000 ms without a '
                                 'reply before it fails over)')]
    assert findings(arp(carriers=(1, 0), missed=10), names=('no-carrier',))[0][1] == Warn
    assert findings(arp(missed=None), names=('no-carrier',))[0][1] == Critical  # 2 before 6.0
    assert findings(arp(missed=1), names=('no-carrier',)) == [
        ('no-carrier', Ok, 'eth0 has no carrier but the bond counts it up (its link monitor '
                           'has not seen it yet)')]
    assert findings(arp(mode='balance-rr', active=None, carriers=(1, 0), missed=3),
                    names=('no-carrier',))[0][1] == Critical


def test_a_carrier_gone_at_the_last_check_too_is_missed_by_any_monitor():
    b = bond(miimon=100, carriers=(0, 1), use_carrier=0)
    b = b._replace(slaves=(b.slaves[0]._replace(no_link_since=1000.0), b.slaves[1]))
    assert findings(b, names=('no-carrier',)) == [
        ('no-carrier', Critical, 'eth0 has no carrier but the bond counts it up (none at the '
                                 'last check either: its link monitor misses it)')]


def test_min_speed_floor():
    b = bond()
    b = b._replace(slaves=(b.slaves[0], b.slaves[1]._replace(speed=0)))
    assert findings(b, Expectation(min_speed=10000), names=('speed-below-minimum',)) == [
        ('speed-below-minimum', Warn, 'eth0 at 1000 Mb/s, below --min-speed 10000'),
        ('speed-below-minimum', Ok, 'eth1 speed unknown: --min-speed not judged')]
    assert findings(bond(), Expectation(min_speed=1000), names=('speed-below-minimum',)) == []
