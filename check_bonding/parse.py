"""Parse the bonding driver's text: /proc/net/bonding/<bond> and sysfs values.

Pure functions from text to small dataclasses, no I/O, so every sample of
every driver generation can be tested directly. Unknown lines are ignored.
"""
from dataclasses import dataclass, field
from typing import List, Optional

# Kernel mode names (sysfs `mode`, `BONDING_OPTS mode=`) by number, and the
# long names /proc prints for them (bond_mode_name() in the driver).
MODES = ('balance-rr', 'active-backup', 'balance-xor', 'broadcast',
         '802.3ad', 'balance-tlb', 'balance-alb')
PROC_MODE_NAMES = {
    'load balancing (round-robin)': 'balance-rr',
    'fault-tolerance (active-backup)': 'active-backup',
    'load balancing (xor)': 'balance-xor',
    'fault-tolerance (broadcast)': 'broadcast',
    'IEEE 802.3ad Dynamic link aggregation': '802.3ad',
    'transmit load balancing': 'balance-tlb',
    'adaptive load balancing': 'balance-alb',
}
# Modes where exactly one slave carries the traffic (or the receive side).
ACTIVE_SLAVE_MODES = ('active-backup', 'balance-tlb', 'balance-alb')

# IEEE 802.1AX port state bits, as in bonding_slave/ad_*_oper_port_state.
LACP_BITS = ('activity', 'timeout', 'aggregation', 'synchronization',
             'collecting', 'distributing', 'defaulted', 'expired')


def mode_name(value: Optional[str]) -> Optional[str]:
    """Kernel mode name for a number, a kernel name or a /proc long name."""
    value = (value or '').strip()
    if value.isdigit() and int(value) < len(MODES):
        return MODES[int(value)]
    if value in MODES:
        return value
    return PROC_MODE_NAMES.get(value)


def port_state_flags(state: Optional[int]) -> List[str]:
    """Names of the LACP port state bits set in `state`."""
    if state is None:
        return []
    return [name for bit, name in enumerate(LACP_BITS) if state >> bit & 1]


def to_int(text: Optional[str]) -> Optional[int]:
    """Integer of a kernel number, None for 'N/A', 'Unknown', '' or junk."""
    try:
        value = int(text.split()[0])
    except (AttributeError, IndexError, ValueError):
        return None
    return value if 0 <= value < 2 ** 63 else None


def first_word(text: Optional[str]) -> Optional[str]:
    """'always' of sysfs 'always 0'; None for an absent or empty value."""
    words = (text or '').split()
    return words[0] if words else None


def speed_of(text: Optional[str]) -> Optional[int]:
    """Mbps of a proc or sysfs speed; 0 where the kernel does not know it.

    Kernels print 'Unknown', -1, or (old ones) 65535 for an unknown speed.
    """
    if text is None:
        return None
    value = to_int(text)
    return 0 if value is None or value == 65535 or value > 10 ** 7 else value


def to_name(text: Optional[str]) -> Optional[str]:
    """Interface name, None where the kernel says there is none."""
    text = (text or '').strip()
    return None if text in ('', 'None', '(none)') else text


@dataclass
class Aggregator:
    """802.3ad active aggregator of a bond (hidden from unprivileged readers)."""
    id: Optional[int] = None
    ports: Optional[int] = None
    actor_key: Optional[int] = None
    partner_key: Optional[int] = None
    partner_mac: Optional[str] = None


@dataclass
class Slave:
    name: str
    mii_status: str = 'unknown'
    speed: Optional[int] = None  # Mbps; 0 = kernel says unknown, None = not shown
    duplex: Optional[str] = None
    link_failures: Optional[int] = None
    perm_hwaddr: Optional[str] = None
    queue_id: Optional[int] = None
    aggregator_id: Optional[int] = None
    actor_churn: Optional[str] = None
    partner_churn: Optional[str] = None
    actor_port_state: Optional[int] = None
    partner_port_state: Optional[int] = None
    partner_mac: Optional[str] = None  # from the partner's LACPDU details

    @property
    def up(self) -> bool:
        return self.mii_status == 'up'


@dataclass
class Bond:
    name: str
    driver: Optional[str] = None
    mode: Optional[str] = None
    fail_over_mac: Optional[str] = None
    xmit_hash_policy: Optional[str] = None
    primary: Optional[str] = None
    primary_reselect: Optional[str] = None
    active_slave: Optional[str] = None
    mii_status: str = 'unknown'
    miimon: Optional[int] = None
    updelay: Optional[int] = None
    downdelay: Optional[int] = None
    arp_interval: Optional[int] = None
    arp_targets: List[str] = field(default_factory=list)
    lacp_rate: Optional[str] = None
    ad_select: Optional[str] = None
    min_links: Optional[int] = None
    system_mac: Optional[str] = None
    aggregator: Optional[Aggregator] = None
    no_active_aggregator: bool = False
    slaves: List[Slave] = field(default_factory=list)

    def slave(self, name: str) -> Optional[Slave]:
        return next((s for s in self.slaves if s.name == name), None)

    @property
    def slaves_up(self) -> List[Slave]:
        return [s for s in self.slaves if s.up]


def _split(line: str):
    key, sep, value = line.partition(':')
    return key.strip(), value.strip() if sep else None


def _with_suffix(value: str):
    """Split 'eth0 (primary_reselect always)' into ('eth0', 'always')."""
    head, _, tail = value.partition('(')
    return head.strip(), tail.rstrip(')').split()[-1] if tail.split() else None


def _bond_line(bond: Bond, key: str, value: str, section: str) -> None:
    if key == 'Ethernet Channel Bonding Driver':
        bond.driver = value
    elif key == 'Bonding Mode':
        name, _, suffix = value.partition(' (fail_over_mac ')
        bond.mode = mode_name(name) or name
        bond.fail_over_mac = suffix.rstrip(')') or None
    elif key == 'Transmit Hash Policy':
        bond.xmit_hash_policy = value.split(' (')[0]
    elif key == 'Primary Slave':
        name, bond.primary_reselect = _with_suffix(value)
        bond.primary = to_name(name)
    elif key == 'Currently Active Slave':
        bond.active_slave = to_name(value)
    elif key == 'MII Status':
        bond.mii_status = value
    elif key == 'MII Polling Interval (ms)':
        bond.miimon = to_int(value)
    elif key == 'Up Delay (ms)':
        bond.updelay = to_int(value)
    elif key == 'Down Delay (ms)':
        bond.downdelay = to_int(value)
    elif key == 'ARP Polling Interval (ms)':
        bond.arp_interval = to_int(value)
    elif key.startswith('ARP IP target'):
        bond.arp_targets = [t for t in value.replace(',', ' ').split() if t]
    elif key == 'LACP rate':
        bond.lacp_rate = value
    elif key == 'Min links':
        bond.min_links = to_int(value)
    elif key.startswith('Aggregator selection policy'):
        bond.ad_select = value
    elif key == 'System MAC address':
        bond.system_mac = value
    elif section == 'aggregator':
        _aggregator_line(bond.aggregator, key, value)


def _aggregator_line(agg: Aggregator, key: str, value: str) -> None:
    if key == 'Aggregator ID':
        agg.id = to_int(value)
    elif key == 'Number of ports':
        agg.ports = to_int(value)
    elif key == 'Actor Key':
        agg.actor_key = to_int(value)
    elif key == 'Partner Key':
        agg.partner_key = to_int(value)
    elif key == 'Partner Mac Address':
        agg.partner_mac = value


def _slave_line(slave: Slave, key: str, value: str, section: str) -> None:
    if key == 'MII Status':
        slave.mii_status = value
    elif key == 'Speed':
        slave.speed = speed_of(value)
    elif key == 'Duplex':
        slave.duplex = None if value.lower() == 'unknown' else value
    elif key == 'Link Failure Count':
        slave.link_failures = to_int(value)
    elif key == 'Permanent HW addr':
        slave.perm_hwaddr = value
    elif key == 'Slave queue ID':
        slave.queue_id = to_int(value)
    elif key == 'Aggregator ID':
        slave.aggregator_id = to_int(value)
    elif key == 'Actor Churn State':
        slave.actor_churn = value
    elif key == 'Partner Churn State':
        slave.partner_churn = value
    elif key == 'port state' and section == 'actor pdu':
        slave.actor_port_state = to_int(value)
    elif key == 'port state' and section == 'partner pdu':
        slave.partner_port_state = to_int(value)
    elif key == 'system mac address' and section == 'partner pdu':
        slave.partner_mac = value


MAX_SLAVES = 1024  # more than any NIC count; bounds work on hostile input

# Headings in /proc that start a block of indented 802.3ad details.
SECTIONS = {'Active Aggregator Info:': 'aggregator',
            'details actor lacp pdu:': 'actor pdu',
            'details partner lacp pdu:': 'partner pdu'}


def parse_proc(name: str, text: str) -> Bond:
    """Parse the text of /proc/net/bonding/<name> into a Bond.

    Handles every driver generation: v3.x without Speed/Duplex, RHEL's
    v3.6/v3.7, kernel-release versions, all modes, ARP, 802.3ad with and
    without the CAP_NET_ADMIN-only lines.
    """
    bond = Bond(name)
    slave = None
    section = ''
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith('bond ') and line.endswith('has no active aggregator'):
            bond.no_active_aggregator = True
            continue
        if line in SECTIONS:
            section = SECTIONS[line]
            if section == 'aggregator':
                bond.aggregator = Aggregator()
            continue
        key, value = _split(line)
        if value is None:
            continue
        if key == 'Slave Interface':
            known = bond.slave(value)
            slave = known or Slave(value)
            if known is None and len(bond.slaves) < MAX_SLAVES:
                bond.slaves.append(slave)
            section = ''
        elif slave is None:
            _bond_line(bond, key, value, section)
        else:
            _slave_line(slave, key, value, section)
    return bond
