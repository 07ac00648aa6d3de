"""Read bonding state from a Linux system, live or a captured tree under --root.

/proc/net/bonding/<bond> is the main source. sysfs fills in what /proc
hides from unprivileged readers (the NRPE and Icinga agent case: 802.3ad
aggregator details need CAP_NET_ADMIN in /proc since kernel 4.x) and what
old drivers do not print (speed, duplex, primary_reselect).
"""
from __future__ import annotations

import logging
import os
import re

from .findings import found
from .ifname import split_names, valid_ifname
from .convert import (ASCII_WHITESPACE, aggregator_id, first_word, speed_of, to_hex, to_int,
                      value_or_none)
from .parse import IFF_UP, Aggregator, Bond, mode_name, parse_proc

_log = logging.getLogger('nagiosplugin.check_bonding')  # -vvv: what was read

PROC_LIMIT = 256 * 1024   # a 802.3ad bond with 100 slaves prints ~70 KiB
SYSFS_LIMIT = 4096        # one sysfs attribute is at most a page
MAX_BONDS = 1024
LLDP_SOCKET = 'run/lldpd.socket'  # lldpd's control socket (lldp.py): Debian 12, upstream


# field -> (sysfs file, converter), read only where /proc left the field empty
BOND_ATTRS_NO_PRIMARY = {'mode': ('mode', lambda text: mode_name(first_word(text)))}
BOND_ATTRS = dict(BOND_ATTRS_NO_PRIMARY, primary_reselect=('primary_reselect', first_word))
SLAVE_ATTRS = {'speed': ('speed', speed_of), 'duplex': ('duplex', value_or_none)}
SLAVE_LACP_ATTRS = {  # world-readable, unlike the 802.3ad lines of /proc
    'aggregator_id': ('bonding_slave/ad_aggregator_id', aggregator_id),
    'actor_port_state': ('bonding_slave/ad_actor_oper_port_state', to_int),
    'partner_port_state': ('bonding_slave/ad_partner_oper_port_state', to_int),
}
# Read for every bond and slave: what the driver's view leaves out (why a bond
# is down, a slave without carrier the driver still counts, MTUs).
BOND_LINK_ATTRS = {'operstate': ('operstate', value_or_none), 'flags': ('flags', to_hex),
                   'mtu': ('mtu', to_int), 'use_carrier': ('bonding/use_carrier', to_int),
                   'min_links': ('bonding/min_links', to_int)}
SLAVE_LINK_ATTRS = {'carrier': ('carrier', to_int), 'mtu': ('mtu', to_int),
                    'carrier_losses': ('carrier_down_count', to_int)}
SLAVE_OPERSTATE = {'operstate': ('operstate', value_or_none)}  # only where carrier is not 1
AGGREGATOR_ATTRS = {'id': ('ad_aggregator', to_int), 'ports': ('ad_num_ports', to_int),
                    'partner_mac': ('ad_partner_mac', value_or_none)}


def natural(name: str) -> list:
    """Sort key: bond2 before bond10."""
    return [int(part) if part.isdigit() else part for part in re.split(r'(\d+)', name)]


UNASKED = object()  # a System's memo before its first question
ENSLAVEMENTS = 'enslavements'  # a capture's 'slave number' lines: the live inode numbers


class System:
    """The files of one Linux system, rooted at `root` ('/' for the live one)."""

    def __init__(self, root: str = '/'):
        self.root = root
        self._counters = None
        self._hardware = None
        self._lldp = UNASKED

    def path(self, relpath: str) -> str:
        return os.path.join(self.root, relpath)

    def read(self, relpath: str, limit: int = SYSFS_LIMIT) -> str:
        """Text of a file, at most `limit` bytes; raises OSError.

        O_NONBLOCK keeps a FIFO planted in a captured tree from hanging the
        check; the read is bounded so a huge file cannot exhaust memory.
        """
        path = self.path(relpath)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        try:
            data = os.read(fd, limit)
        except OSError as err:
            err.filename = path  # os.read does not say which file
            raise
        finally:
            os.close(fd)
        _log.debug('read %s (%d bytes)', path, len(data))
        # Names are bytes (ifname.py): undecodable ones survive as surrogates.
        return data.decode('utf-8', 'surrogateescape')

    def read_optional(self, relpath: str, limit: int = SYSFS_LIMIT) -> str | None:
        """Text of a file, or None where it is absent or unreadable.

        Reading carrier or speed of a down interface fails with EINVAL:
        that is data ("unknown"), not an error.
        """
        try:
            return self.read(relpath, limit).strip(ASCII_WHITESPACE)
        except OSError as err:
            _log.debug('cannot read %s: %s', self.path(relpath), err.strerror)
            return None

    def bond_names(self) -> tuple:
        """(bonds, notes): the bonds of /proc/net/bonding, where their data comes
        from, else of sysfs bonding_masters (/proc follows the reader's network
        namespace, sysfs the one that mounted it: under nsenter --net, or with
        the host's /sys in a container, they differ, and the notes say so)."""
        masters = self.read_optional('sys/class/net/bonding_masters')
        masters = [n for n in split_names(masters or '') if valid_ifname(n)]
        try:
            names = sorted((n for n in os.listdir(self.path('proc/net/bonding'))
                            if valid_ifname(n)), key=natural)
        except OSError:
            return masters[:MAX_BONDS], []
        notes = []
        only_sysfs = sorted(set(masters) - set(names))
        if only_sysfs:
            notes.append(found('bond-list-mismatch', f'sysfs bonding_masters lists '
                               f'{", ".join(only_sysfs)}, which /proc/net/bonding does not show '
                               f'(sysfs of another network namespace?): not checked'))
        return names[:MAX_BONDS], notes

    def bonds_to_check(self, named, excluded, also=(), keep_idle=False) -> tuple:
        """(bonds, notes): `named` (-b), or every bond found plus `also`;
        without `excluded`; each once. Found, not named: a bond that is set
        down and has no slaves was never set up (the bond0 that loading the
        module creates unless max_bonds=0): left out, with a note, unless
        `keep_idle` (--capture copies it: the replay decides the same)."""
        notes = []
        if named:
            candidates = named
        else:
            found_names, notes = self.bond_names()
            idle = [n for n in found_names if n not in also and not keep_idle
                    and self._never_set_up(n)]
            if idle:
                notes.append(found('bond-idle', f'{", ".join(idle)} down and without slaves, '
                                   'never set up (loading the bonding module makes bond0 '
                                   'unless max_bonds=0): not checked'))
            candidates = [*(n for n in found_names if n not in idle), *also]
        return [n for n in dict.fromkeys(candidates) if n and n not in excluded], notes

    def _never_set_up(self, name: str) -> bool:
        """sysfs says down without slaves, and /proc has no slaves either: facts
        that contradict each other (sysfs of another network namespace) never
        make a bond idle."""
        flags = to_hex(self.read_optional(f'sys/class/net/{name}/flags'))
        if flags is None or flags & IFF_UP:
            return False
        if self.read_optional(f'sys/class/net/{name}/bonding/slaves') != '':
            return False
        try:
            return not parse_proc(name, self.read('proc/net/bonding/' + name, PROC_LIMIT)).slaves
        except OSError:  # listed by sysfs only: its word is all there is
            return True

    def read_bond(self, name: str) -> Bond | None:
        """The bond `name`, or None if it does not exist; raises OSError, or
        ValueError for a file that is not the bonding driver's."""
        try:
            text = self.read('proc/net/bonding/' + name, PROC_LIMIT)
        except FileNotFoundError:
            return None
        bond = parse_proc(name, text)
        if bond.mode is None and bond.mii_status == 'unknown':
            raise ValueError(f'cannot parse {self.path("proc/net/bonding/" + name)}: '
                             'no "Bonding Mode" or "MII Status" line')
        bond = bond._replace(slaves=tuple(s for s in bond.slaves if valid_ifname(s.name)))
        elsewhere = self._other_interface(bond)
        if elsewhere:  # judged from /proc alone
            return bond._replace(sysfs_elsewhere=elsewhere)
        return self._fill_from_sysfs(self._fill_missing(bond, f'sys/class/net/{name}',
                                                        BOND_LINK_ATTRS))

    def _other_interface(self, bond: Bond) -> str | None:
        """What shows that sysfs describes another interface of this name than
        /proc (/proc/net follows the reader's network namespace, sysfs the one
        that mounted it), or None. One read on the normal path: the first
        slave's permanent address, which no other device has; without it the
        slave lists. No facts (an old kernel or capture) is no contradiction."""
        first = bond.slaves[0] if bond.slaves else None
        if first is not None and first.perm_hwaddr:
            perm = self.read_optional(f'sys/class/net/{first.name}/bonding_slave/perm_hwaddr')
            if perm:  # one may print all addr_len bytes, the other six (%pM): a prefix
                shown, listed = perm.lower(), first.perm_hwaddr.lower()
                return None if shown.startswith(listed) or listed.startswith(shown) else (
                    f'its {first.name} has permanent address {perm}, not {first.perm_hwaddr}')
        listed = self.read_optional(f'sys/class/net/{bond.name}/bonding/slaves')
        names = [s.name for s in bond.slaves]
        if listed is None or sorted(split_names(listed)) == sorted(names):
            return None
        return (f'it lists slaves {", ".join(split_names(listed)) or "none"}, /proc '
                f'{", ".join(names) or "none"}')

    def _fill_missing(self, record, directory: str, attrs: dict):
        """`record` with its None fields among `attrs` read from `directory`."""
        filled = {field: convert(self.read_optional(f'{directory}/{filename}'))
                  for field, (filename, convert) in attrs.items()
                  if getattr(record, field) is None}
        return record._replace(**filled) if filled else record

    def _fill_from_sysfs(self, bond: Bond) -> Bond:
        """Complete what this reader's /proc view lacks (speeds of old drivers,
        802.3ad details hidden from unprivileged readers) and add what /proc
        never shows (flags, carrier, MTU): a few small reads per interface."""
        bonding = f'sys/class/net/{bond.name}/bonding'
        bond = self._fill_missing(bond, bonding,
                                  BOND_ATTRS if bond.primary else BOND_ATTRS_NO_PRIMARY)
        slave_attrs = dict(SLAVE_ATTRS, **SLAVE_LINK_ATTRS)
        if bond.mode == '802.3ad':
            slave_attrs.update(SLAVE_LACP_ATTRS)
        bond = bond._replace(slaves=tuple(self._read_slave(s, slave_attrs) for s in bond.slaves))
        if bond.mode == '802.3ad' and bond.aggregator is None and not bond.no_active_aggregator:
            aggregator = self._fill_missing(Aggregator(), bonding, AGGREGATOR_ATTRS)
            if aggregator.id == 0:  # sysfs for what /proc tells root as "no active aggregator"
                bond = bond._replace(no_active_aggregator=True)
            elif aggregator.id is not None:
                bond = bond._replace(aggregator=aggregator)
        return bond

    def _read_slave(self, slave, attrs: dict):
        directory = f'sys/class/net/{slave.name}'
        slave = self._fill_missing(slave, directory, attrs)
        if slave.carrier != 1:  # why not: set down, lower layer down, ... (-vv, no-carrier)
            slave = self._fill_missing(slave, directory, SLAVE_OPERSTATE)
        return slave

    @property
    def hardware(self):
        """What the slaves stand on (hardware.py): one memoising reader per run."""
        if self._hardware is None:
            from .hardware import Hardware
            self._hardware = Hardware(self)
        return self._hardware

    @property
    def lldp(self):
        """The LLDP neighbours lldpd knows (lldp.py), asked once per run; None
        without lldpd, which costs one lstat (lldp.py is not even loaded)."""
        if self._lldp is UNASKED:
            self._lldp = None
            if os.path.lexists(self.path(LLDP_SOCKET)):
                from .lldp import read
                self._lldp = read(self.root)
        return self._lldp

    def read_options(self, bond: Bond, keys) -> dict:
        """{key: text of sysfs bonding/<key>, None where not shown} (--expect);
        from /proc where sysfs is another interface's, and ns_ip6_target (sysfs
        has no such file)."""
        def value(key):
            if key == 'ns_ip6_target':
                return None if bond.ns_targets is None else ' '.join(bond.ns_targets)
            if bond.sysfs_elsewhere:
                return bond.proc_option(key)
            return self.read_optional(f'sys/class/net/{bond.name}/bonding/{key}')
        return {key: value(key) for key in keys}

    def enslavements(self, bond: Bond) -> dict:
        """{slave: the identity of its enslavement}: the kernel makes a slave's
        bonding_slave directory anew at each enslavement, and sysfs (kernfs,
        Linux 4.13+) numbers its nodes without reuse until reboot: another inode
        number is a slave released and enslaved again since. One stat each. A
        capture keeps the live numbers (ENSLAVEMENTS): a copied tree's own
        inode numbers are the copy's."""
        captured = None if self.root == '/' else self.read_optional(ENSLAVEMENTS, PROC_LIMIT)
        if captured is not None:
            numbers = dict(line.partition(' ')[::2] for line in captured.splitlines())
            return {s.name: int(numbers[s.name]) for s in bond.slaves
                    if numbers.get(s.name, '').isascii() and numbers[s.name].isdigit()}
        ids = {}
        for slave in () if bond.sysfs_elsewhere else bond.slaves:
            try:
                ids[slave.name] = os.stat(self.path(f'sys/class/net/{slave.name}/bonding_slave')
                                          ).st_ino
            except OSError:
                pass
        return ids

    def boot_id(self) -> str | None:
        return self.read_optional('proc/sys/kernel/random/boot_id')

    def counters(self) -> dict:
        """psutil's per-interface counters (errin, errout, ...), read once a run."""
        if self._counters is None:
            import psutil
            psutil.PROCFS_PATH = self.path('proc')
            try:
                # nowrap=False: psutil's wrap cache is per process and would add the
                # counters of another --root read earlier in it (tests run in-process)
                self._counters = psutil.net_io_counters(pernic=True, nowrap=False)
            except (OSError, ValueError, RuntimeError) as err:
                _log.debug('no interface counters in %s: %s', psutil.PROCFS_PATH, err)
                self._counters = {}
        return self._counters
