"""What the check must say about each kernel scenario (tests/kernel/scenarios.py).

One table for both uses: tests/kernel/test_kernel.py runs the installed plugin
inside the real kernel, as root and as nobody; tests/test_fixtures.py replays
the same scenarios from their captures in tests/fixtures/ in a second.
"""
from collections import namedtuple

# argv after the plugin name; exit code (or the codes a flapping state may
# give); texts the output must contain.
Expect = namedtuple('Expect', 'argv code texts')


def codes(expect):
    return expect.code if isinstance(expect.code, tuple) else (expect.code,)


AB_OK = 'BONDING OK - bond0 active-backup, active eth0 (primary), 2/2 slaves up |'

EXPECTED = {
    'ab-healthy': [Expect('-b bond0', 0, [AB_OK]),
                   Expect('-b bond0 -p eth0 -m 1 --slaves eth0,eth1', 0, [AB_OK])],
    'ab-failover': [Expect('-b bond0', 1, ['BONDING WARNING - bond0: eth0 down |']),
                    Expect('-b bond0 -p eth0', 1, [
                        'BONDING WARNING - bond0: eth0 down, active eth1 is not primary eth0'])],
    'ab-going-back': [Expect('-b bond0 -p eth0', 1, [
        'BONDING WARNING - bond0: eth0 going back, active eth1 is not primary eth0 |'])],
    'ab-reselected': [Expect('-b bond0', 0, [AB_OK, 'eth0_link_failures=1c'])],
    'ab-all-down': [Expect('-b bond0', 2, [
        'BONDING CRITICAL - bond0: no slave up: eth0 down, eth1 down, bond MII status down'])],
    'ab-primary-reselect-failure': [
        Expect('-b bond0 -v', 0, ['BONDING OK - bond0 active-backup, active eth1, 2/2',
                                  'primary_reselect failure keeps eth1 active']),
        Expect('-b bond0 -p eth0', 1, ['active eth1 is not primary eth0'])],
    'ab-slave-admin-down': [Expect('-b bond0', 1, ['BONDING WARNING - bond0: eth1 down |'])],
    'ab-no-primary': [Expect('-b bond0', 0, [
        'BONDING OK - bond0 active-backup, active eth0, 2/2 slaves up |'])],
    'ab-miimon0': [Expect('-b bond0', 1, [
        'BONDING WARNING - bond0: no link monitoring (miimon 0, arp_interval 0) |'])],
    'ab-single-slave': [Expect('-b bond0', 1, [
        'BONDING WARNING - bond0: single slave eth0, no redundancy |'])],
    'ab-bond-down': [Expect('-b bond0', 2, [
        'BONDING CRITICAL - bond0: interface down (operstate down, administratively down?)'])],
    'lacp-healthy': [Expect('-b bond0 -m 802.3ad', 0, ['BONDING OK - bond0 802.3ad, 2/2 slaves'])],
    'lacp-no-partner': [Expect('-b bond0', 1, [
        'BONDING WARNING - bond0: no LACPDUs received on eth0, eth1 (switch not doing LACP?) |'])],
    'lacp-two-partners': [Expect('-b bond0', 1, [
        'BONDING WARNING - bond0: ', ', not the active aggregator '])],
    'lacp-one-down': [Expect('-b bond0', 1, ['BONDING WARNING - bond0: eth1 down |'])],
    'rr-slave-down': [Expect('-b bond0', 1, ['BONDING WARNING - bond0: eth1 down |'])],
    'xor-healthy': [Expect('-b bond0', 0, ['BONDING OK - bond0 balance-xor, 2/2 slaves up |'])],
    'broadcast-healthy': [Expect('-b bond0', 0, ['BONDING OK - bond0 broadcast, 2/2 slaves'])],
    'tlb-healthy': [Expect('-b bond0', 0, ['BONDING OK - bond0 balance-tlb, active eth0, 2/2'])],
    'alb-healthy': [Expect('-b bond0', 0, ['BONDING OK - bond0 balance-alb, active eth0, 2/2'])],
    'arp-healthy': [Expect('-b bond0', 0, [AB_OK])],
    # The ARP monitor probes the slaves in turn: they flap between going down
    # and going back, so a run may catch one of them up.
    'arp-switch-down': [Expect('-b bond0', (1, 2), ['- bond0: '])],
    'multi-bonds': [
        Expect('', 2, ['BONDING CRITICAL - bond2: no slaves enslaved, bond MII status down; '
                       'bond1: eth3 down |']),
        Expect('-x bond2', 1, ['BONDING WARNING - bond1: eth3 down |']),
        Expect('-b bond0 -b bond7', 2, ['BONDING CRITICAL - bond7: no such bond |']),
        Expect('-b ../bond0', 3, ["BONDING UNKNOWN - invalid interface name '../bond0'"])],
    'uplink-named': [Expect('', 0, ['BONDING OK - uplink active-backup, active eth0 (primary)']),
                     Expect('-b uplink -p eth0', 0, ['uplink_slaves_up=2;2:;1:;0;2'])],
}
# Replayed only: settling takes the kernel 60 s, too long for every CI run.
FIXTURES_ONLY = {
    'lacp-churn-settled': [
        Expect('-b bond0', 0, ['BONDING OK - bond0 802.3ad, 2/2 slaves up']),
        Expect('-x bond0', 1, [
            'BONDING WARNING - bond1: no LACPDUs received on eth2, eth3 (switch not doing '
            'LACP?); bond2: eth5 in aggregator 2, not the active aggregator 1, ',
            'LACP churned on eth5 |'])],
    'ab-flap': [Expect('-b bond0', 0, [AB_OK, 'eth0_link_failures=1c'])],
}
# Live only: the flap needs the baseline stored before the cable was pulled.
FLAP = Expect('-b bond0', 1, [
    'BONDING WARNING - bond0: eth0 link failed 1 time in the last 1h, last ',
    'failover from eth0 and back ', 'bond0_failures_window=1;0;;0'])
