"""ovs-vswitchd's answers (bond/list, bond/show, lacp/show, lacp/show-stats) -> records.

Pure functions of the texts as OVS 3.1 prints them (ofproto/bond.c,
lib/lacp.c); OVS before 2.15 said 'slave' where it now says 'member', and
both are read. Unknown lines are ignored. A bond is an OvsBond named
ovs:<port>; it answers to what the shared code asks of a bond (slaves,
slaves_up, active_slave, mode), so the -w/-c ranges, --slaves, -m and the
flap history treat it as they treat a kernel bond.
"""
from __future__ import annotations

from ..ifname import OVS_PREFIX, valid_ifname, valid_ovs_port
from ..convert import to_int
from ..parse import LACP_BITS
from ..system import natural
from ..records import record

MODES = ('active-backup', 'balance-slb', 'balance-tcp')
MEMBER_WORDS = ('member', 'slave')  # 'slave' before OVS 2.15
# lacp/show words for the port state bits, in parse.LACP_BITS order
STATE_WORDS = {'synchronized': 'synchronization'}
MAX_MEMBERS = 1024

MEMBER_FIELDS = {
    'name': None,
    'enabled': False,          # bond/show: traffic may use it
    'active': False,           # the bond's active member
    'may_enable': None,        # carrier (and LACP) allow it
    'delay': None,             # 'updelay expires in 1494 ms' while a delay runs
    'lacp': None,              # lacp/show: 'current', 'expired' or 'defaulted'
    'attached': None,          # lacp/show: in the LAG (partner matches the lead's)
    'actor_state': None,       # LACP port state bits (parse.LACP_BITS)
    'partner_state': None,
    'partner_sys_id': None,
    'partner_key': None,
    'rx_pdus': None,           # lacp/show-stats counters
    'link_expired': None,
    'link_defaulted': None,
    'carrier_changed': None,
    'carrier_down_count': None,  # sysfs of the member's netdev, where there is one
    'link_failures': None,     # derived by failures(): what the flap history counts
    'perm_hwaddr': None,       # (the flap history's NIC identity: OVS does not show it)
}
BOND_FIELDS = {
    'name': None,              # ovs:<port>
    'port': None,
    'mode': None,              # MODES
    'updelay': None,
    'downdelay': None,
    'lacp_status': None,       # 'negotiated', 'configured' or 'off'
    'lacp_fallback_ab': False,
    'primary': None,           # active-backup primary, None for <none>
    'primary_missing': False,  # OVS says '(no such member)'
    'active_member': None,
    'lacp_mode': None,         # lacp/show: 'active' or 'passive'
    'lacp_time': None,         # 'fast' or 'slow'
    'sys_id': None,
    'members': (),
}


class OvsMember(record('OvsMember', MEMBER_FIELDS, 'One member of an OVS bond.')):
    __slots__ = ()

    @property
    def up(self) -> bool:
        """Carries traffic and stays: enabled, no downdelay running."""
        return self.enabled and not (self.delay or '').startswith('downdelay')

    @property
    def no_carrier(self) -> bool:
        """OVS may not enable it and its LACP saw the carrier go: Carrier Status
        Changed counts each change from the carrier a member joins with (up), so
        an odd count is a link down (LACP expired or defaulted because of it)."""
        return self.may_enable is False and (self.carrier_changed or 0) % 2 == 1

    @property
    def mii_status(self) -> str:
        """What the first line says of a member that is not up, where it says a
        kernel slave's MII status: OVS's enabled/disabled, and why; 'down (no
        carrier)' as a kernel slave's down where OVS saw its link go."""
        if self.up:
            return 'enabled'
        if self.enabled:
            return f'going down ({self.delay})'
        if self.no_carrier:
            return 'down (no carrier' + (', LACP expired)' if self.lacp == 'expired' else ')')
        why = [self.delay] if self.delay else []
        if self.lacp == 'expired':  # defaulted: ovs.rules says it (lacp-partner-defaulted)
            why.append('LACP expired')
        elif self.attached is False and self.lacp == 'current':
            why.append('LACP detached')
        return 'disabled' + (f' ({", ".join(why)})' if why else '')


class OvsBond(record('OvsBond', BOND_FIELDS, 'One Open vSwitch bond as ovs-vswitchd shows '
                                             'it.')):
    __slots__ = ()
    KIND = 'ovs'
    MEMBER = 'member'

    @property
    def slaves(self) -> tuple:
        return self.members

    @property
    def slaves_up(self) -> list:
        return [m for m in self.members if m.up]

    @property
    def active_slave(self) -> str | None:
        """The active member where it carries the traffic (active-backup); the
        flap history sees a change of it as a failover."""
        return self.active_member if self.mode == 'active-backup' else None

    def slave(self, name: str | None):
        return next((m for m in self.members if m.name == name), None)


def sections(text: str, suffix: str = ' ----') -> dict:
    """{name: [lines]} of '---- name ----' sections."""
    found: dict = {}
    lines = None
    for line in text.splitlines():
        if line.startswith('---- ') and line.endswith(suffix):
            lines = found.setdefault(line[5:-len(suffix)], [])
        elif lines is not None:
            lines.append(line)
    return found


def parse_list(text: str) -> dict:
    """bond/list: {port: (mode, [member, ...])}."""
    bonds = {}
    for line in text.splitlines()[1:]:
        fields = line.split('\t')
        if len(fields) == 4:
            bonds[fields[0]] = (fields[1], [m for m in fields[3].split(', ') if m])
    return bonds


def _member_head(line: str, prefix: str) -> tuple | None:
    """('a1', 'enabled') of 'member a1: enabled' (prefix 'member ') or
    'member: a1: current attached' (prefix 'member: '); also 'slave'."""
    for word in MEMBER_WORDS:
        start = prefix.replace('member', word)
        if line.startswith(start):
            name, _, rest = line[len(start):].rpartition(':')
            return (name, rest.strip()) if name else None
    return None


def parse_show(lines: list) -> dict:
    """One bond/show section: bond fields, with 'members': {name: fields}."""
    bond: dict = {'members': {}}
    member = None
    for line in lines:
        head = _member_head(line, 'member ')
        if head and not line.startswith(' '):
            member = bond['members'].setdefault(head[0], {'name': head[0]})
            member['enabled'] = head[1] == 'enabled'
        elif member is not None:
            _member_line(member, line.strip())
        else:
            _bond_line(bond, line)
    return bond


def _bond_line(bond: dict, line: str) -> None:
    key, _, value = line.partition(': ')
    if key == 'bond_mode':
        bond['mode'] = value
    elif key in ('updelay', 'downdelay'):
        bond[key] = to_int(value)
    elif key == 'lacp_status':
        bond['lacp_status'] = value
    elif key == 'lacp_fallback_ab':
        bond['lacp_fallback_ab'] = value == 'true'
    elif key == 'active-backup primary':
        primary, _, note = value.partition(' (')
        bond['primary'] = None if primary == '<none>' else primary
        bond['primary_missing'] = note.startswith('no such')
    elif key in ('active member mac', 'active slave mac'):
        name = value.rpartition('(')[2].rstrip(')')
        bond['active_member'] = None if name == 'none' else name


def _member_line(member: dict, line: str) -> None:
    if line in ('active member', 'active slave'):
        member['active'] = True
    elif line.startswith('may_enable: '):
        member['may_enable'] = line.endswith('true')
    elif ' expires in ' in line:
        member['delay'] = line


def lacp_state(words: str) -> int:
    """The port state bits of lacp/show's 'activity timeout ... expired'."""
    names = [STATE_WORDS.get(word, word) for word in words.split()]
    return sum(1 << bit for bit, name in enumerate(LACP_BITS) if name in names)


def parse_lacp(lines: list) -> dict:
    """One lacp/show section: {'lacp_mode', 'lacp_time', 'sys_id', 'members': {...}}."""
    lacp: dict = {'members': {}}
    member = None
    for line in lines:
        head = _member_head(line, 'member: ')
        if head:
            status, _, attached = head[1].partition(' ')
            member = lacp['members'].setdefault(head[0], {})
            member.update(lacp=status, attached=attached == 'attached')
            continue
        key, _, value = line.strip().partition(':')
        value = value.strip()
        if member is None:
            if key == 'status':
                lacp['lacp_mode'] = value.split()[0] if value else None
            elif key in ('sys_id', 'lacp_time'):
                lacp[key] = value
        elif key in ('actor state', 'partner state'):
            member[key.replace(' ', '_')] = lacp_state(value)
        elif key == 'partner sys_id':
            member['partner_sys_id'] = value
        elif key == 'partner key':
            member['partner_key'] = to_int(value)
    return lacp


STATS = {'RX PDUs': 'rx_pdus', 'Link Expired': 'link_expired',
         'Link Defaulted': 'link_defaulted', 'Carrier Status Changed': 'carrier_changed'}


def parse_stats(lines: list) -> dict:
    """One lacp/show-stats section: {member: {counter: n}}."""
    members: dict = {}
    counters = None
    for line in lines:
        head = _member_head(line, 'member: ')
        if head:
            counters = members.setdefault(head[0], {})
        elif counters is not None:
            key, _, value = line.strip().partition(': ')
            if key in STATS:
                counters[STATS[key]] = to_int(value)
    return members


def failures(member: dict) -> int | None:
    """What the flap history counts for a member: each time it lost its link
    (Carrier Status Changed counts both edges: a member that was up has
    lost it once per two changes, rounded up) plus each time LACPDUs stopped
    coming (Link Expired); without LACP counters, the netdev's
    carrier_down_count."""
    changed, expired = member.get('carrier_changed'), member.get('link_expired')
    if changed is not None and expired is not None:
        return (changed + 1) // 2 + expired
    return member.get('carrier_down_count')


def bonds(answers: dict, carrier_downs=None) -> list:
    """Every bond of the answers, in bond/list order; `carrier_downs(name)`
    gives a member netdev's sysfs carrier_down_count (or None)."""
    shown = sections(answers.get('bond/show') or '')
    lacp = sections(answers.get('lacp/show') or '')
    stats = sections(answers.get('lacp/show-stats') or '', ' statistics ----')
    listed = parse_list(answers.get('bond/list') or '')
    return [bond(port, *listed[port], shown.get(port, []), lacp.get(port, []),
                 stats.get(port, []), carrier_downs)
            for port in sorted(listed, key=natural) if valid_ovs_port(port)]


def bond(port: str, mode: str, names: list, shown: list, lacp: list, stats: list,
         carrier_downs=None) -> OvsBond:
    """One bond from its bond/list entry and its sections of the other answers."""
    fields = parse_show(shown)
    lacp_fields = parse_lacp(lacp)
    counters = parse_stats(stats)
    members = []
    for name in sorted(set(names) | set(fields['members']), key=natural)[:MAX_MEMBERS]:
        member = {'name': name, **fields['members'].get(name, {}),
                  **lacp_fields['members'].get(name, {}), **counters.get(name, {})}
        if 'carrier_changed' not in member and carrier_downs and valid_ifname(name):
            member['carrier_down_count'] = carrier_downs(name)
        members.append(OvsMember(**member, link_failures=failures(member)))
    fields.update({k: v for k, v in lacp_fields.items() if k != 'members'},
                  mode=fields.get('mode') or mode, members=tuple(members))
    return OvsBond(name=OVS_PREFIX + port, port=port, **fields)
