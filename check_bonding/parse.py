"""Parse the bonding driver's text: /proc/net/bonding/<bond> and sysfs values.

Pure functions from text to small immutable records, no I/O, so every
sample of every driver generation can be tested directly. Unknown lines are
ignored. The records are records.record namedtuples.
"""
from __future__ import annotations

from .convert import ASCII_WHITESPACE, aggregator_id, speed_of, to_int, value_or_none
from .records import record

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
# Modes that spread traffic over all slaves.
SPREADING_MODES = ('balance-rr', 'balance-xor', '802.3ad', 'balance-tlb', 'balance-alb')

# IEEE 802.1AX port state bits, as in bonding_slave/ad_*_oper_port_state.
LACP_BITS = ('activity', 'timeout', 'aggregation', 'synchronization',
             'collecting', 'distributing', 'defaulted', 'expired')

MAX_SLAVES = 1024  # more than any NIC count; bounds the work on hostile input
PROC_OPTIONS = ('miimon', 'updelay', 'downdelay', 'arp_interval', 'arp_missed_max',
                'xmit_hash_policy', 'lacp_rate', 'ad_select', 'primary_reselect',
                'fail_over_mac')  # the sysfs options /proc shows as they are
IFF_UP = 0x1  # in sysfs `flags`: the interface is set up (ip link set up)


AGGREGATOR_FIELDS = {
    'id': None, 'ports': None, 'actor_key': None, 'partner_key': None, 'partner_mac': None,
}
SLAVE_FIELDS = {
    'name': None,
    'mii_status': 'unknown',
    'speed': None,            # Mbps; 0 where the kernel says unknown, None where not shown
    'duplex': None,
    'link_failures': None,
    'perm_hwaddr': None,
    'queue_id': None,
    'aggregator_id': None,    # 802.3ad, from /proc or bonding_slave/ad_aggregator_id
    'actor_churn': None,      # 802.3ad churn states; the counts (kernel 4.x+, world-readable):
    'partner_churn': None,    # the times the churn machine found a port out of sync
    'actor_churns': None, 'partner_churns': None,
    'actor_port_state': None,
    'partner_port_state': None,
    'partner_mac': None,      # the LACP partner's system MAC, per port (root only)
    'partner_key': None,      # the LACP partner's operational key, per port (root only)
    'carrier': None,          # sysfs carrier: 1, 0, or None (unreadable: set down)
    'operstate': None,        # sysfs operstate (up, down, lowerlayerdown, ...)
    'mtu': None,
    'carrier_losses': None,   # sysfs carrier_down_count (kernel 4.16+): the link lost, ever
    'no_link_since': None,    # the baseline's: without link since then, across two runs
}
BOND_FIELDS = {
    'name': None,
    'driver': None,
    'mode': None,             # a kernel mode name (MODES)
    'fail_over_mac': None,
    'xmit_hash_policy': None,
    'primary': None,
    'primary_reselect': None,
    'active_slave': None,
    'mii_status': 'unknown',
    'miimon': None,
    'updelay': None,
    'downdelay': None,
    'arp_interval': None,
    'arp_missed_max': None,   # ARP intervals without a reply before a slave is down
    'arp_targets': (),
    'ns_targets': None,       # IPv6 targets (kernel 6.0+; None where /proc has no such line)
    'lacp_rate': None,
    'ad_select': None,
    'min_links': None,
    'system_mac': None,
    'aggregator': None,       # the active Aggregator (hidden from unprivileged readers)
    'no_active_aggregator': False,
    'slaves': (),             # Slave records, in /proc order
    'operstate': None,        # from sysfs: /proc says nothing of a bond set down
    'flags': None,            # sysfs `flags` (IFF_UP 0x1: set up by the admin)
    'mtu': None,
    'use_carrier': None,      # sysfs: 0 where the driver asks the NIC (ethtool/MII ioctl)
    'sysfs_elsewhere': None,  # why sysfs shows another interface of this name: not read
}


class Aggregator(record('Aggregator', AGGREGATOR_FIELDS,
                        "The bond's active 802.3ad aggregator.")):
    __slots__ = ()


class Slave(record('Slave', SLAVE_FIELDS, 'One slave as the driver shows it.')):
    __slots__ = ()

    @property
    def up(self) -> bool:
        return self.mii_status == 'up'


class Bond(record('Bond', BOND_FIELDS, 'One bond as the driver shows it.')):
    __slots__ = ()
    KIND = 'kernel'  # as ovs.parse.OvsBond: what kind of bond, what its ports are called
    MEMBER = 'slave'

    def slave(self, name: str | None) -> Slave | None:
        return next((s for s in self.slaves if s.name == name), None)

    @property
    def slaves_up(self) -> list[Slave]:
        return [s for s in self.slaves if s.up]

    def proc_option(self, key: str) -> str | None:
        """Option `key` as /proc shows it (for --expect where sysfs is another
        interface's), or None where /proc has no line for it."""
        if key == 'arp_ip_target':  # listed only with ARP monitoring
            return None if self.arp_interval is None else ' '.join(self.arp_targets)
        if key == 'primary':  # a line of its own only in the modes with a primary
            return None if self.primary_reselect is None else (self.primary or '')
        value = getattr(self, key) if key in PROC_OPTIONS else None
        return None if value is None else str(value)


def mode_name(value: str | None) -> str | None:
    """Kernel mode name for a number, a kernel name or a /proc long name."""
    value = (value or '').strip()
    if value.isdigit() and int(value) < len(MODES):
        return MODES[int(value)]
    if value in MODES:
        return value
    return PROC_MODE_NAMES.get(value)


def port_state_flags(state: int | None) -> list[str]:
    """Names of the LACP port state bits set in `state`."""
    if state is None:
        return []
    return [name for bit, name in enumerate(LACP_BITS) if state >> bit & 1]


def _duplex(text: str) -> str | None:
    return None if text.lower() == 'unknown' else text


def _targets(text: str) -> tuple:
    return tuple(t for t in text.replace(',', ' ').split() if t)


def _text(text: str) -> str:
    return text


def _mode(text: str) -> dict:
    name, _, suffix = text.partition(' (fail_over_mac ')
    return {'mode': mode_name(name) or name, 'fail_over_mac': suffix.rstrip(')') or None}


def _primary(text: str) -> dict:
    """'eth0 (primary_reselect always)' -> primary eth0, primary_reselect always."""
    head, _, tail = text.partition('(')
    words = tail.rstrip(')').split()
    return {'primary': value_or_none(head), 'primary_reselect': words[-1] if words else None}


# /proc key -> (field, converter); a converter returning a dict sets several fields.
BOND_KEYS = {
    'Ethernet Channel Bonding Driver': ('driver', _text),
    'Bonding Mode': (None, _mode),
    'Transmit Hash Policy': ('xmit_hash_policy', lambda t: t.split(' (')[0]),
    'Primary Slave': (None, _primary),
    'Currently Active Slave': ('active_slave', value_or_none),
    'MII Status': ('mii_status', _text),
    'MII Polling Interval (ms)': ('miimon', to_int),
    'Up Delay (ms)': ('updelay', to_int),
    'Down Delay (ms)': ('downdelay', to_int),
    'ARP Polling Interval (ms)': ('arp_interval', to_int),
    'ARP Missed Max': ('arp_missed_max', to_int),  # kernel 6.0+; before, 2 was fixed
    'ARP IP target/s (n.n.n.n form)': ('arp_targets', _targets),
    'NS IPv6 target/s (xx::xx form)': ('ns_targets', _targets),  # kernel 6.0+
    'LACP rate': ('lacp_rate', _text),
    'Min links': ('min_links', to_int),
    'Aggregator selection policy (ad_select)': ('ad_select', _text),
    'System MAC address': ('system_mac', _text),
}
AGGREGATOR_KEYS = {
    'Aggregator ID': ('id', to_int),
    'Number of ports': ('ports', to_int),
    'Actor Key': ('actor_key', to_int),
    'Partner Key': ('partner_key', to_int),
    'Partner Mac Address': ('partner_mac', _text),
}
SLAVE_KEYS = {
    'MII Status': ('mii_status', _text),
    'Speed': ('speed', speed_of),
    'Duplex': ('duplex', _duplex),
    'Link Failure Count': ('link_failures', to_int),
    'Permanent HW addr': ('perm_hwaddr', _text),
    'Slave queue ID': ('queue_id', to_int),
    'Aggregator ID': ('aggregator_id', aggregator_id),
    'Actor Churn State': ('actor_churn', _text),
    'Partner Churn State': ('partner_churn', _text),
    'Actor Churned Count': ('actor_churns', to_int),
    'Partner Churned Count': ('partner_churns', to_int),
}
ACTOR_PDU_KEYS = {'port state': ('actor_port_state', to_int)}
PARTNER_PDU_KEYS = {'port state': ('partner_port_state', to_int),
                    'system mac address': ('partner_mac', _text),
                    'oper key': ('partner_key', to_int)}

# Headings in /proc that start a block of indented 802.3ad details.
SECTIONS = {'Active Aggregator Info:': AGGREGATOR_KEYS,
            'details actor lacp pdu:': ACTOR_PDU_KEYS,
            'details partner lacp pdu:': PARTNER_PDU_KEYS}


def _set(fields: dict, keys: dict, key: str, value: str) -> None:
    field, convert = keys.get(key, (None, None))
    if convert is None:
        return
    converted = convert(value)
    if field is None:
        fields.update(converted)
    else:
        fields[field] = converted


def split_line(line: str) -> tuple:
    """(key, ':', value) of a /proc line. Keys may hold colons ('NS IPv6
    target/s (xx::xx form): fd00::1'), values too (MACs, IPv6 addresses): the
    key ends at the first ': ', or at a final ':' where the value is empty."""
    key, sep, value = line.partition(': ')
    if not sep:
        key, sep, value = (line[:-1], ':', '') if line.endswith(':') else line.partition(':')
    return key.strip(ASCII_WHITESPACE), sep, value.strip(ASCII_WHITESPACE)


def parse_proc(name: str, text: str) -> Bond:
    """Parse the text of /proc/net/bonding/<name> into a Bond: every driver
    generation (v3.x without Speed/Duplex, RHEL's v3.6/v3.7, kernel-release
    versions), all modes, ARP, 802.3ad with and without the root-only lines."""
    bond = {}
    aggregator = None
    slaves = {}  # name -> fields, in /proc order; a repeated name updates the first
    fields, keys = bond, BOND_KEYS
    slave = None  # the fields of the slave being read
    for raw in text.splitlines():
        line = raw.strip(ASCII_WHITESPACE)
        if line.startswith('bond ') and line.endswith('has no active aggregator'):
            bond['no_active_aggregator'] = True
        elif line in SECTIONS:
            keys = SECTIONS[line]
            if keys is AGGREGATOR_KEYS:
                fields = aggregator = {}
                slave = None
            elif slave is None:
                keys = {}  # LACPDU details outside a slave: not the driver's layout
        else:
            key, sep, value = split_line(line)
            if not sep:
                continue
            if key == 'Slave Interface':
                if value not in slaves and len(slaves) >= MAX_SLAVES:
                    value = None  # over the bound: read on, keep nothing
                fields = slave = slaves.setdefault(value, {'name': value})
                keys = SLAVE_KEYS
            else:
                _set(fields, keys, key, value)
    slaves.pop(None, None)
    if aggregator is not None:
        bond['aggregator'] = Aggregator(**aggregator)
    return Bond(name=name, **bond, slaves=tuple(Slave(**s) for s in slaves.values()))
