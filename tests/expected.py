"""What the check must say about each kernel scenario (tests/kernel/scenarios.py).

One table for both uses: tests/kernel/test_kernel.py runs the installed plugin
inside the real kernel, as root and as nobody; tests/test_fixtures.py replays
the same scenarios from their captures in tests/data/fixtures/ in a second.
"""
from collections import namedtuple

# argv after the plugin name; exit code (or the codes a flapping state may
# give); texts the output must contain; texts it must not; what nobody's view
# (live as nobody, the <name>.nobody capture) gives where the kernel shows it
# less than root: (code, texts, absent), None where it gives the same; the
# users whose view it is at all (live: who runs the check; replayed: root's
# capture or <name>.nobody).
Expect = namedtuple('Expect', 'argv code texts absent nobody users',
                    defaults=((), None, ('root', 'nobody')))
ROOT_ONLY, NOBODY_ONLY = ('root',), ('nobody',)


def codes(expect):
    return expect.code if isinstance(expect.code, tuple) else (expect.code,)


def for_user(expect, nobody):
    """The Expect for root, or for nobody's view."""
    if not nobody or expect.nobody is None:
        return expect
    code, texts, absent = expect.nobody
    return expect._replace(code=code, texts=texts, absent=absent)


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
        'BONDING CRITICAL - bond0: interface set down (administratively) |'])],
    'lacp-healthy': [Expect('-b bond0 -m 802.3ad', 0, ['BONDING OK - bond0 802.3ad, 2/2 slaves']),
                     # options only root reads: the kernel's default, which nobody reads as empty
                     Expect('-b bond0 --expect ad_actor_system=00:00:00:00:00:00', 0, [
                         'BONDING OK - bond0 802.3ad, 2/2 slaves']),
                     # no lldpd: a note, from one lstat
                     Expect('-b bond0 -v', 0, [
                         '\n  ok: which switch each slave reaches is not known: lldpd is not '
                         'running (no /run/lldpd.socket): install and start lldpd to know it\n'])],
    'lacp-no-partner': [Expect('-b bond0', 1, [
        'BONDING WARNING - bond0: no LACPDUs received on eth0, eth1 (switch not doing LACP?) |'])],
    'lacp-two-partners': [
        # two LACP partners: another system MAC is another switch (root sees the partners)
        Expect('-b bond0', 1, ['BONDING WARNING - bond0: ', ', not the active aggregator ',
                               ' (different LACP partners: eth0 ', '; two switches without '
                               'MLAG?) |'], ['LAGs'], nobody=(1, [
                                   'BONDING WARNING - bond0: ', ', not the active aggregator '],
                                   ['LACP partners'])),
        # a bond spread over two switches by design, still checked for the rest
        Expect('-b bond0 --state aggregator-mismatch=ok -v', 0, [
            'BONDING OK - bond0 802.3ad, 2/2 slaves up', ', not the active aggregator ']),
        Expect('-b bond0 --state aggregator-mismatch=critical', 2, [
            'BONDING CRITICAL - bond0: ', ', not the active aggregator '])],
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
    # The hardware under the slaves (root and nobody read the same sysfs)
    'hw-vlans-one-veth': [Expect('-b bond0 -v', 1, [
        'BONDING WARNING - bond0: eth0.10 and eth0.20 are VLANs of one interface eth0: one port, '
        'one cable\n'])],
    'hw-macvlans-one-veth': [Expect('-b bond0 -v', 1, [
        'BONDING WARNING - bond0: mv0 and mv1 are stacked on one interface eth0: one port, one '
        'cable\n'])],
    'hw-macvlans-other-netns': [Expect('-b bond0 -v', 0, [
        'BONDING OK - bond0 active-backup, active mv0, 2/2 slaves up\n',
        '\n  ok: mv0 and mv1 are virtual devices (veth, or stacked on an interface in another '
        'namespace): no hardware to compare\n'], ['(veth)'])],
    'hw-two-uml-netdevs': [Expect('-b bond0 -v', 0, [
        'BONDING OK - bond0 active-backup, active eth8, 2/2 slaves up\n',
        '\n  ok: slaves on separate hardware: eth8 (platform/uml-netdev.8, uml-netdev), eth9 '
        '(platform/uml-netdev.9, uml-netdev)\n'])],
    'hw-veth-pair': [Expect('-b bond0 -v', 0, [
        'BONDING OK - bond0 active-backup, active eth0, 2/2 slaves up\n',
        '\n  ok: eth0 and eth1 are virtual devices (veth, or stacked on an interface in another '
        'namespace): no hardware to compare\n'])],
    'uplink-named': [Expect('', 0, ['BONDING OK - uplink active-backup, active eth0 (primary)']),
                     Expect('-b uplink -p eth0', 0, ['uplink_slaves_up=2;2:;1:;0;2'])],
    # What the links say where the driver is blind
    'ab-nomon-backup-nocarrier': [Expect('-b bond0', 1, [
        'BONDING WARNING - bond0: no link monitoring (miimon 0, arp_interval 0), eth1 has no '
        'carrier but the bond counts it up (no link monitoring) |'])],
    'ab-nomon-active-nocarrier': [Expect('-b bond0', 2, [
        'BONDING CRITICAL - bond0: no link monitoring (miimon 0, arp_interval 0), eth0 has no '
        'carrier but the bond counts it up (no link monitoring) |'])],
    'ab-downdelay': [Expect('-b bond0 -v', 1, ['BONDING WARNING - bond0: eth0 going down\n'],
                            ['no carrier', 'is set down'])],
    'lacp-min-links': [Expect('-b bond0', 2, [
        'BONDING CRITICAL - bond0: held down by min_links 2: 1 port up, eth1 down |'])],
    'arp-no-target': [Expect('-b bond0', 2, ['BONDING CRITICAL - bond0: no slave up: ',
                                             'bond MII status down'], ['administratively'])],
    'lacp-partner-slow': [
        Expect('-b bond0 -v', 0, [
            'BONDING OK - bond0 802.3ad, 2/2 slaves up\n',
            'ok: LACP rate differs on eth0, eth1: we ask fast, the partner slow (a lost link is '
            'seen after 3 s here, 90 s at the partner)']),
        Expect('-b bond0 --state lacp-rate-mismatch=warning', 1, [
            'BONDING WARNING - bond0: LACP rate differs on eth0, eth1: we ask fast, the partner '
            'slow'])],
    'ab-mtu-mismatch': [Expect('-b bond0', 1, [
        'BONDING WARNING - bond0: MTU 1500 on bond0 but 1400 on eth1 |'])],
    # Unusual but real setups
    'idle-bond0-uplink': [
        Expect('', 0, ['BONDING OK - uplink active-backup, active eth0 (primary), 2/2 slaves up |'],
               ['bond0_']),
        Expect('-v', 0, ['ok: bond0 down and without slaves, never set up']),
        Expect('-b bond0', 2, ['BONDING CRITICAL - bond0: no slaves enslaved'])],
    'ab-unknown-speed-better': [
        Expect('-b bond0', 0, ['BONDING OK - bond0 active-backup, active d0, 2/2 slaves up |']),
        Expect('-b bond0 -v', 0, ['primary_reselect better keeps d0 (the kernel ranks its '
                                  'unknown speed above any)', 'ok: speed unknown on d0'])],
    'netns-sysfs-elsewhere': [
        Expect('', 1, ['BONDING WARNING - bondL: eth1 down |'], ['bondR']),
        Expect('-v', 1, ['ok: sysfs bonding_masters lists bondR, which /proc/net/bonding does '
                         'not show (sysfs of another network namespace?): not checked'])],
    'lacp-never-up': [Expect('-b bond0', 2, ['no active aggregator'], ['N/A'])],
    'many-degraded': [Expect('', 1, ['BONDING WARNING - 100 of 100 bonds not OK: bond0: b0 down; '
                                     'bond1: b1 down; ', ' more) |'])],
    # Config drift. Bonds built from a configuration tree, then changed at
    # runtime (scenarios.py: live runs read the tree with --root DRIFT_ROOT, replays the
    # capture of it). nobody reads the same files as root (all 0644), so says the same.
    'drift-ifcfg': [
        Expect('--config-drift', 1, [
            'BONDING WARNING - bond0: primary eth0 in /etc/sysconfig/network-scripts/ifcfg-bond0 '
            'but eth1 running; '
            'bond1: miimon 100 (running 200), updelay 5000 (running 10000) in '
            '/etc/sysconfig/network-scripts/ifcfg-bond1 |']),
        Expect('--config-drift -v', 1, [
            'BONDING WARNING - bond0: primary eth0 in /etc/sysconfig/network-scripts/ifcfg-bond0:8 '
            'but eth1 running; ',
            'in /etc/sysconfig/network-scripts/ifcfg-bond1:8\n']),
        Expect('--config-drift --state drift-option=critical', 2, [
            'BONDING CRITICAL - bond0: primary eth0 in /etc/sysconfig/network-scripts/ifcfg-bond0 '
            'but eth1 running; ']),
        # without --config-drift the runtime change is invisible
        Expect('', 0, ['BONDING OK - bond0 active-backup, active eth1 (primary), 2/2 slaves '
                       'up; bond1 active-backup, active eth2 (primary), 2/2 slaves up |'])],
    'drift-networkd': [Expect('--config-drift', 1, [
        'BONDING WARNING - bond0: single slave eth0, no redundancy, eth1 in '
        '/etc/systemd/network/30-bond0-eth1.network not enslaved |'])],
    # the released eth0 was the primary: the kernel shows none, so no primary drift
    'drift-ifupdown': [Expect('--config-drift', 1, [
        'BONDING WARNING - bond0: single slave eth1, no redundancy, miimon 100 (running 200), '
        'downdelay 200 (running 400) in /etc/network/interfaces.d/bond0, eth0 in '
        '/etc/network/interfaces.d/bond0 not enslaved |'], ['primary'])],
    # Wrong verdicts on real setups, round 2: namespaces, IPv6/ARP monitors, flaps the count misses
    'netns-one-name-healthy': [
        Expect('', 0, ['BONDING OK - bond0 active-backup, active vA (primary), 2/2 slaves up |'],
               ['administratively']),
        Expect('-b bond0 -v', 0, [
            'BONDING OK - bond0 active-backup, active vA (primary), 2/2 slaves up\n',
            '  ok: sysfs shows another bond0 (it lists slaves x0, x1, /proc vA, vB): the sysfs of '
            'another network namespace (nsenter --net, or the host\'s /sys in a container; ip '
            'netns exec mounts its own): judged from /proc alone; not checked: whether the bond '
            'is set down, its MTU and use_carrier, the slaves\' carrier, MTU and hardware\n'],
            ['hardware-', 'virtual devices'])],
    'netns-one-name-degraded': [
        Expect('', 1, ['BONDING WARNING - bond0: vB down |'], ['never set up']),
        # --expect: what /proc shows is compared, the rest is not
        Expect('-b bond0 --expect miimon=100 --expect primary=vA --expect min_links=1 -v', 1, [
            'BONDING WARNING - bond0: vB down\n',
            'ok: sysfs shows another bond0 (it lists slaves none, /proc vA, vB)',
            'ok: min_links not compared: sysfs shows another interface of this name, and /proc '
            'does not show it\n'], ['miimon', 'primary ']),
        Expect('-b bond0 --expect miimon=200 --expect primary=vB', 1, [
            'BONDING WARNING - bond0: vB down, miimon 100, expected 200, primary vA, '
            'expected vB |'])],
    'arp-ns6-targets': [
        Expect('-b bond0', 0, [AB_OK], ['arp_ip_target']),
        Expect('-b bond0 -vv', 0, ['arp_interval 100, arp_missed_max 10, ns_ip6_target fd00::1'],
               ['arp_ip_target']),
        Expect('-b bond0 --expect ns_ip6_target=FD00:0::1', 0, [AB_OK]),
        Expect('-b bond0 --expect ns_ip6_target=fd00::2', 1, [
            'BONDING WARNING - bond0: ns_ip6_target fd00::1, expected fd00::2 |'])],
    'arp-missed-max-active-nocarrier': [Expect('-b bond0', 2, [
        'BONDING CRITICAL - bond0: eth0 has no carrier but the bond counts it up (ARP monitoring '
        'ignores the carrier: up to 100 x 500 ms without a reply before it fails over) |'])],
    'lacp-actor-options': [
        Expect('-b bond0 --expect ad_actor_system=02:00:00:00:00:0A --expect ad_actor_sys_prio=100 '
               '--expect ad_user_port_key=5', 0, ['BONDING OK - bond0 802.3ad, 2/2 slaves up |']),
        Expect('-b bond0 -v --expect ad_actor_system=00:00:00:00:00:00', 1, [
            'BONDING WARNING - bond0: ad_actor_system 02:00:00:00:00:0a, expected '
            '00:00:00:00:00:00\n'], nobody=(0, [
                'BONDING OK - bond0 802.3ad, 2/2 slaves up\n',
                '  ok: ad_actor_system is shown only to CAP_NET_ADMIN (root): not compared\n'],
                ['none, expected']))],
    'lacp-one-switch-two-lags': [Expect('-b bond0', 1, [
        'BONDING WARNING - bond0: ', ', not the active aggregator ',
        ' (one LACP partner 02:00:00:00:00:aa, different keys: eth0 key ',
        '; two LAGs (port-channels) on one switch?) |'], ['MLAG'], nobody=(1, [
            'BONDING WARNING - bond0: ', ', not the active aggregator '], ['LACP partner']))],
    # The switch side. lldpcli runs only for root and group adm (Debian):
    # nobody is told so, and how to allow it.
    'lldp-one-switch': [
        Expect('-b bond0', 1, [
            'BONDING WARNING - bond0: eth0 and eth1 reach one switch switch-a (chassis mac '
            '52:54:00:00:01:00), ports peer0 and peer1 (LLDP) |'], users=ROOT_ONLY),
        Expect('-b bond0 --state shared-switch=ok', 0, [
            'BONDING OK - bond0 802.3ad, 2/2 slaves up |'], users=ROOT_ONLY),
        Expect('-b bond0 -v', 0, [
            'BONDING OK - bond0 802.3ad, 2/2 slaves up\n',
            '\n  ok: which switch each slave reaches is not known: /usr/sbin/lldpcli runs only '
            'for _lldpd and group adm (mode 4750): add nobody to group adm (or run the check as '
            'root)\n'], users=NOBODY_ONLY)],
    'lldp-two-switches': [
        Expect('-b bond0 -v', 0, [
            'BONDING OK - bond0 802.3ad, 2/2 slaves up\n',
            '\n  ok: slaves reach separate switches (LLDP): eth0 switch-a (chassis mac '
            '52:54:00:00:01:00) port peer0, eth1 switch-b (chassis mac 52:54:00:00:01:01) port '
            'peer1\n',
            # 802.3ad alone cannot tell the MLAG pair from one switch
            'one LACP system (a single switch, a stack or an MLAG pair; not judged)'],
            users=ROOT_ONLY),
        Expect('-b bond0 -v', 0, ['BONDING OK - bond0 802.3ad, 2/2 slaves up\n',
                                  'ok: which switch each slave reaches is not known: '
                                  '/usr/sbin/lldpcli runs only for _lldpd and group adm'],
               users=NOBODY_ONLY)],
}
# Replayed only: settling takes the kernel 60 s, too long for every CI run.
FIXTURES_ONLY = {
    'lacp-churn-settled': [
        Expect('-b bond0', 0, ['BONDING OK - bond0 802.3ad, 2/2 slaves up']),
        Expect('-x bond0', 1, [
            'BONDING WARNING - bond1: no LACPDUs received on eth2, eth3 (switch not doing '
            'LACP?); bond2: eth5 in aggregator 2, not the active aggregator 1',
            'LACP churned on eth5 |'])],
    'ab-flap': [Expect('-b bond0', 0, [AB_OK, 'eth0_link_failures=1c'])],
    'ab-renamed-slave': [Expect('-b bond0', 0, [AB_OK, 'wan1_link_failures=1c'])],
    'ab-mode-changed': [Expect('-b bond0', 0, [
        'BONDING OK - bond0 active-backup, active eth1, 2/2 slaves up |'])],
    # within downdelay, re-enslaved: without the scenario's baseline, the counters as they are
    'ab-downdelay-flap': [Expect('-b bond0', 0, [AB_OK, 'eth0_carrier_losses=2c',
                                                 'eth0_link_failures=0c'])],
    'ab-reenslaved-flap': [Expect('-b bond0', 0, [AB_OK, 'eth0_link_failures=1c'])],
    # without the baseline: the counts are there, nothing to compare them with
    'lacp-partner-bounced': [Expect('-b bond0', 0, ['BONDING OK - bond0 802.3ad, 2/2 slaves up',
                                                    'eth0_partner_churns=1c'])],
    'lacp-idle-port': [Expect('-b bond0 -v', 0, ['BONDING OK - bond0 802.3ad, 2/2 slaves up'],
                              ['carried next to nothing'])],
}
# Live only, with the baseline the scenario stored before its change: the
# flap, the renamed slave (its history kept, not "left"), the mode change (no failover).
RENAMED = Expect('-b bond0 -v', 1, [
    'BONDING WARNING - bond0: wan1 link failed 1 time in the last 1h, last ',
    'ok: wan1 renamed from eth1 (same permanent HW address): its history is kept'],
    ['left the bond'])
MODE_CHANGED = Expect('-b bond0 -v', 0, [
    'BONDING OK - bond0 active-backup, active eth1, 2/2 slaves up',
    'ok: mode changed (balance-rr -> active-backup): new baseline'], ['failover'])
FLAP = Expect('-b bond0', 1, [
    'BONDING WARNING - bond0: eth0 link failed 1 time in the last 1h, last ',
    'failover from eth0 and back ', 'bond0_failures_window=1;0;;0'])
# The switch side: the second run, with the baseline of the first (scenarios.baseline):
# live with the one the scenario stored, replayed from <name>.baseline then <name>.
BOUNCED = ('LACP out of sync 1 time in the last 1h (churn count), last ', ', its link up '
           'throughout')
SECOND_RUN = {
    # a link loss shorter than downdelay; a flap after a re-enslavement that reset the
    # count to what was stored (the capture keeps the enslavement's live identity)
    'ab-downdelay-flap': [Expect('-b bond0 -v', 1, [
        'BONDING WARNING - bond0: eth0 lost its link 1 time in the last 1h, last ',
        ', without a link failure counted (back within downdelay 3000 ms)\n',
        'bond0_absorbed_window=1;;;0', 'eth0_link_failures=0c'])],
    'ab-reenslaved-flap': [Expect('-b bond0 -v', 1, [
        'BONDING WARNING - bond0: eth0 link failed 1 time in the last 1h, last ',
        '  ok: eth0 enslaved again since the last run: its link failures counted from 0\n'])],
    'lacp-partner-bounced': [
        Expect('-b bond0', 1, ['BONDING WARNING - bond0: eth0 ' + BOUNCED[0], BOUNCED[1],
                               'eth1 ' + BOUNCED[0], 'eth0_partner_churns=1c'],
               ['link failed', 'eth0 down']),
        Expect('-b bond0 --state lacp-flaps=ok -v', 0, [
            'BONDING OK - bond0 802.3ad, 2/2 slaves up\n', '  ok: eth0 ' + BOUNCED[0]],
            ['enslaved again'])],
    'lacp-idle-port': [
        Expect('-b bond0 -v', 0, [
            'BONDING OK - bond0 802.3ad, 2/2 slaves up\n',
            '\n  ok: eth1 carried next to nothing since ',
            ' of the 1.4 MB sent and ', ' of the 1.4 MB received (xmit_hash_policy layer2, or '
            'the switch side)\n', '\n  ok: traffic since ',
            ': sent 1.4 MB: eth0 100%, eth1 0%; received 1.4 MB: eth0 100%, eth1 0%\n',
            'eth0_tx_bytes=', 'eth1_rx_bytes='], ['enslaved again']),
        Expect('-b bond0 --state slave-carries-nothing=warning', 1, [
            'BONDING WARNING - bond0: eth1 carried next to nothing since '])],
}
# Live only: the drift scenarios checked as configured, before their runtime change
# (scenarios.AS_CONFIGURED_ARGV, saved in the guest), as root and as nobody.
AS_CONFIGURED = {
    'drift-ifcfg': Expect('--config-drift -v --no-state', 0, [
        'BONDING OK - bond0 active-backup, active eth0 (primary), 2/2 slaves up; '
        'bond1 active-backup, active eth2 (primary), 2/2 slaves up\n',
        '\n  ok: matches /etc/sysconfig/network-scripts/ifcfg-bond0 (initscripts)\n',
        '\n  ok: matches /etc/sysconfig/network-scripts/ifcfg-bond1 (initscripts)\n']),
    'drift-networkd': Expect('--config-drift -v --no-state', 0, [
        'BONDING OK - bond0 active-backup, active eth0 (primary), 2/2 slaves up\n',
        '\n  ok: matches /etc/systemd/network/10-bond0.netdev (systemd-networkd)\n']),
    'drift-ifupdown': Expect('--config-drift -v --no-state', 0, [
        'BONDING OK - bond0 active-backup, active eth0 (primary), 2/2 slaves up\n',
        '\n  ok: matches /etc/network/interfaces.d/bond0 (ifupdown (ifenslave))\n']),
}
