"""Findings: every judgement the check can make, by name.

A Finding is one judgement about one bond (or about the run): a stable
identifier from FINDINGS, a nagiosplugin state and a short text. Where a
finding is about one slave, `slave` names it and the text follows the name
("eth0" + "down"), so the wording can put each slave's problems together.

FINDINGS is the one table of identifiers: each with its default state and
a one-line meaning. `--state NAME=STATE` (and `BOND=NAME=STATE`) replaces
the state of a finding wherever it is raised; --list-findings and the
README's state table are made from this table (tests/test_findings.py).
"""
from __future__ import annotations

from collections import namedtuple

from nagiosplugin.state import Critical, Ok, Unknown, Warn


class Finding(namedtuple('Finding', 'name state text slave', defaults=(None,))):
    """One judgement: identifier, nagiosplugin state, text (after the slave's name)."""
    __slots__ = ()

    @property
    def words(self) -> str:
        return f'{self.slave} {self.text}' if self.slave else self.text


Kind = namedtuple('Kind', 'state meaning')

STATES = {'ok': Ok, 'warning': Warn, 'critical': Critical, 'unknown': Unknown}

FINDINGS = {
    # The run as a whole
    'no-bonds': Kind(Unknown, 'no bonding interface at all, and none named (is the bonding '
                              'module loaded?)'),
    'bond-unreadable': Kind(Unknown, "a bond's /proc file cannot be read, or is not the "
                                     "bonding driver's"),
    'bond-idle': Kind(Ok, 'a bond found but never set up (down, no slaves: the bond0 that '
                          'loading the module makes) is not checked unless named'),
    'bond-list-mismatch': Kind(Ok, 'sysfs lists bonds that /proc/net/bonding does not show '
                                   '(sysfs of another network namespace)'),
    # The bond
    'sysfs-elsewhere': Kind(Ok, "sysfs shows another interface of the bond's name than "
                                '/proc/net/bonding (sysfs of another network namespace): judged '
                                'from /proc alone, the sysfs checks skipped'),
    'no-such-bond': Kind(Critical, 'a bond named with -b (or by a BOND= option) does not exist'),
    'bond-down': Kind(Critical, "the bond's MII status (its carrier) is not up: no slave "
                                "usable, e.g. every ARP target lost"),
    'bond-admin-down': Kind(Critical, 'the bond interface is set down (IFF_UP clear in sysfs '
                                      'flags; /proc does not show it)'),
    'bond-min-links': Kind(Critical, '802.3ad: the bond is held down by min_links (fewer ports '
                                     'up)'),
    'min-links-margin': Kind(Ok, '802.3ad: how many more lost links min_links allows'),
    'no-slaves': Kind(Critical, 'no slave is enslaved'),
    'no-slave-up': Kind(Critical, 'no slave is up'),
    'slave-down': Kind(Warn, 'slaves up outside the -w range (default: a slave is not up); '
                             'CRITICAL outside the -c range'),
    'single-slave': Kind(Warn, 'only one slave: no redundancy'),
    'mode-mismatch': Kind(Warn, 'the mode differs from -m'),
    'slave-missing': Kind(Warn, 'a slave named by --slaves is not enslaved'),
    'option-mismatch': Kind(Warn, 'a running option differs from --expect KEY=VALUE'),
    'option-not-shown': Kind(Ok, 'an option named by --expect is not in sysfs on this kernel: '
                                 'not compared'),
    'option-ignored': Kind(Ok, '--expect or --min-speed given for every bond, and this one is '
                               'an Open vSwitch bond: not compared (no bonding options in '
                               'sysfs, no member speed shown; naming only OVS bonds is a usage '
                               'error)'),
    'slave-unexpected': Kind(Warn, 'a slave not named by --slaves is enslaved'),
    # The active slave
    'no-active-slave': Kind(Critical, 'no active slave (active-backup, balance-tlb/alb) while '
                                      'a slave is up'),
    'not-primary': Kind(Warn, 'the active slave is not an acceptable primary (-p, else the '
                              "bond's primary as primary_reselect would choose it)"),
    'not-primary-by-design': Kind(Ok, 'the active slave is not the primary, and the kernel '
                                      'keeps it by design (primary_reselect failure/better, '
                                      'or the primary is not up)'),
    'primary-ignored': Kind(Ok, '-p given for a mode without an active slave'),
    'primary-not-enslaved': Kind(Warn, 'no interface named by -p is enslaved'),
    # Link monitoring and speeds
    'no-link-monitoring': Kind(Warn, 'no link monitoring (miimon 0 and arp_interval 0)'),
    'arp-no-targets': Kind(Warn, 'ARP monitoring without arp_ip_target'),
    'speed-unknown': Kind(Warn, 'an up slave with unknown speed, in a mode that needs speeds '
                                '(802.3ad, balance-tlb/alb; elsewhere an OK note)'),
    'speed-mismatch': Kind(Warn, 'up slaves with different speed or duplex, in a mode that '
                                 'spreads traffic (elsewhere an OK note)'),
    'speed-below-minimum': Kind(Warn, 'an up slave slower than --min-speed'),
    'mtu-mismatch': Kind(Warn, "a slave's MTU is below the bond's: it loses the larger frames "
                               "(without the bond's MTU: the slaves' MTUs differ)"),
    'mtu-larger': Kind(Ok, "a slave's MTU is above the bond's: nothing is lost (the bond sends "
                           'at most its own MTU)'),
    'no-carrier': Kind(Critical, 'a slave the bond counts up has no carrier and its link '
                                 'monitor will not see it at its next poll (no monitoring, ARP '
                                 'monitoring with arp_missed_max over 1, or gone at the last run '
                                 'too): CRITICAL where traffic goes through it (active slave, '
                                 'load-balancing modes), else WARNING; otherwise an OK note'),
    # 802.3ad
    'no-active-aggregator': Kind(Warn, '802.3ad: the bond has no active aggregator'),
    'lacp-partner-defaulted': Kind(Warn, '802.3ad: no LACPDUs received on a port (switch not '
                                         'doing LACP?)'),
    'aggregator-mismatch': Kind(Warn, '802.3ad: up slaves in different aggregators, or outside '
                                      'the active one (root sees the cause: different LACP '
                                      'partners); ok for a designed two-switch bond'),
    'aggregator-short': Kind(Warn, '802.3ad: the active aggregator has fewer ports than slaves '
                                   'up'),
    'lacp-partner-not-ready': Kind(Warn, '802.3ad: a partner port is not in sync, collecting '
                                         'and distributing'),
    'lacp-churned': Kind(Warn, "802.3ad: a port's LACP churn state is churned (now)"),
    'lacp-no-partner': Kind(Warn, "802.3ad: the partner's MAC is all zero (no LACP partner)"),
    'lacp-rate-mismatch': Kind(Ok, '802.3ad: we ask one LACP rate and the partner the other '
                                   '(failure detection 3 s one way, 90 s the other)'),
    'partner-mac-hidden': Kind(Ok, "802.3ad: the partner's MAC is shown only to root; "
                                   'its check was skipped'),
    # Open vSwitch bonds (ovs:<port>, check_bonding/ovs/): OVS's own states; the rest
    # of an OVS bond is judged in the findings above (docs/ovs.md)
    'ovs-needs-root': Kind(Unknown, 'Open vSwitch runs here, but its bonds are read from '
                                    "ovs-vswitchd's control socket, which only root may use: "
                                    'run the check as root (contrib/sudoers) or with --kind '
                                    'kernel'),
    'ovs-unreadable': Kind(Unknown, "ovs-vswitchd's pidfile is there but its control socket "
                                    'does not answer (stopped? a stale pidfile?), or a captured '
                                    'answer cannot be read'),
    'ovs-lacp-not-negotiated': Kind(Warn, 'OVS: the bond asks for LACP but no partner '
                                          'negotiated it (lacp_status configured): no member '
                                          'carries traffic (no-slave-up)'),
    'ovs-lacp-fallback-ab': Kind(Warn, 'OVS: LACP not negotiated and lacp_fallback_ab sends all '
                                       'traffic through one member (active-backup): no '
                                       'aggregation'),
    # Flap detection: the stored baseline
    'link-failures': Kind(Warn, 'new link failures within --failure-window outside '
                                '--failures-warning (CRITICAL outside --failures-critical)'),
    'link-failures-tolerated': Kind(Ok, 'new link failures within the window, inside '
                                        '--failures-warning'),
    'lacp-flaps': Kind(Warn, "802.3ad: a port's LACP churn count grew within --failure-window "
                             '(it or its partner out of sync for 60 s: a port-channel bounced, '
                             'LACPDUs lost), with or without a link failure'),
    'slave-carries-nothing': Kind(Ok, '802.3ad, balance-xor/tlb/alb: an up slave (in the active '
                                      'aggregator) carried under 1% of the bytes since the '
                                      'stored sample (at most an hour old) while the bond moved '
                                      'at least 1 MiB: hashing or the switch side'),
    'traffic-share': Kind(Ok, "802.3ad, balance-xor/tlb/alb: each slave's share of the bytes "
                              'sent and received since the stored sample'),
    'failover': Kind(Warn, 'a failover within the window that no link failure explains '
                           '(with link failures, judged with them)'),
    'link-loss-absorbed': Kind(Warn, 'a slave lost its link within the window without a link '
                                     'failure counted (back within downdelay, or between two '
                                     "polls of the link monitor): the interface's "
                                     'carrier_down_count counts it, Link Failure Count does not'),
    'slave-left': Kind(Warn, 'a slave left the bond within the window'),
    'slave-joined': Kind(Ok, 'a slave joined the bond'),
    'slave-renamed': Kind(Ok, 'a slave was renamed while enslaved (same permanent HW address): '
                              'its history is kept'),
    'slave-reenslaved': Kind(Ok, 'a slave was released and enslaved again since the last run '
                                 '(another enslavement in sysfs, or a counter restarted; Open '
                                 'vSwitch: ovs-vswitchd restarted or the member added again): '
                                 'its link failures are counted from 0'),
    'baseline-new': Kind(Ok, 'a new baseline: first run, --reset, reboot, mode change or NIC '
                             'replaced'),
    'clock-stepped-back': Kind(Ok, 'events stored "in the future" (the clock was set back) are '
                                   'kept, dated now'),
    'state-damaged': Kind(Warn, 'a damaged or foreign state file was set aside'),
    'state-unwritable': Kind(Warn, 'the baseline cannot be stored'),
    'state-elsewhere': Kind(Warn, '/var/lib/check_bonding exists but this user cannot use it: '
                                  'the baselines are kept in its own home, apart from the '
                                  "other runs' history"),
    # Config drift (--config-drift, check_bonding/drift/): the running bond against the
    # configuration the next boot applies
    'drift-option': Kind(Warn, 'a bonding option differs from what the configuration sets at '
                               'the next boot'),
    'drift-slave-missing': Kind(Warn, 'a slave in the configuration is not enslaved'),
    'drift-slave-extra': Kind(Warn, 'an enslaved slave is in no configuration'),
    'drift-mac': Kind(Warn, 'a configuration pins a MAC other than the slave\'s permanent one '
                            '(NIC replaced?)'),
    'drift-not-at-boot': Kind(Warn, 'the bond (or its members) will not come up at boot: '
                                    'ONBOOT=no, STARTMODE, file ignored or rejected, ...'),
    'drift-two-managers': Kind(Warn, 'two enabled network managers define the bond'),
    'drift-ambiguous': Kind(Warn, 'the configuration does not decide the bond: two profiles '
                                  'tie, a second definition is ignored, link monitoring twice'),
    'drift-unconfigured': Kind(Warn, 'a running bond that no configuration brings up (only '
                                     'where a source was found and fully read)'),
    'drift-unreadable': Kind(Unknown, 'a configuration file cannot be read (NetworkManager '
                                      'keyfiles, netplan YAML: root only): run as root'),
    'drift-yaml-missing': Kind(Unknown, 'netplan files exist but PyYAML is not installed'),
    'drift-note': Kind(Ok, 'what the configuration says that does not change the bond: '
                           'options the mode ignores, ignored files, arp_ip_target order'),
    'drift-match': Kind(Ok, 'the running bond matches its configuration'),
    # Hardware single points of failure (shared_hardware.py over hardware.py): always on
    'shared-port': Kind(Warn, 'every slave rides one port or cable: VLANs or macvlans of one '
                              'interface, VFs of one PF, partitions of one port, sub-ports of '
                              'one split port'),
    'shared-nic': Kind(Warn, 'every slave sits on one card: ports of one PCI function or '
                             'device, one switch ASIC, one USB adapter or hub'),
    'hardware-partly-shared': Kind(Ok, 'slaves share ports or cards in groups, but no single '
                                       'one carries all'),
    'hardware-separate': Kind(Ok, 'the slaves are on separate hardware'),
    'hardware-common-bridge': Kind(Ok, 'all slaves sit behind one PCI bridge or USB host '
                                       'controller (normal on a motherboard)'),
    'hardware-vm': Kind(Ok, "VM NICs, or VFs whose PF is not visible: the host's hardware "
                            'cannot be seen'),
    'hardware-virtual': Kind(Ok, 'virtual slaves (veth, tap, dummy): no hardware to compare'),
    'hardware-unknown': Kind(Ok, 'no sysfs device facts for a slave (e.g. an older capture): '
                                 'not judged'),
    'hardware-same-mac': Kind(Ok, 'without sysfs facts: slaves enslaved with one MAC '
                                  '(stacked on one device?)'),
    'lacp-one-partner': Kind(Ok, '802.3ad: the aggregator faces one LACP system (one switch, '
                                 'a stack or an MLAG pair: not judged)'),
    # The switch side (shared_switch.py over lldp.py): where lldpd runs
    'shared-switch': Kind(Warn, 'every slave reaches one switch (one LLDP chassis ID): one '
                                'switch reboot takes the bond; --state shared-switch=ok for a '
                                'one-switch design'),
    'switch-separate': Kind(Ok, 'the slaves reach separate switches (LLDP chassis IDs; the two '
                                'switches of an MLAG pair are two)'),
    'switch-unknown': Kind(Ok, 'which switch each slave reaches is not known (no lldpd, not '
                               'allowed to ask it, no LLDP neighbour on a slave): what would '
                               'allow it'),
}

# Findings about the run, never about one bond: --state BOND=NAME=... cannot apply to them.
RUN_FINDINGS = ('no-bonds', 'bond-idle', 'bond-list-mismatch', 'drift-unreadable',
                'drift-yaml-missing')


def found(name: str, text: str, slave: str | None = None, state=None) -> Finding:
    """A Finding in its default state, or in `state` where a range decides it."""
    return Finding(name, FINDINGS[name].state if state is None else state, text, slave)


def restate(findings, overrides: dict, bond: str | None) -> list:
    """The findings with --state overrides applied: BOND=NAME=STATE before NAME=STATE."""
    if not overrides:
        return list(findings)
    return [f._replace(state=overrides.get((bond, f.name), overrides.get(('', f.name), f.state)))
            for f in findings]
