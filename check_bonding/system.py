"""Read bonding state from a Linux system, live or a captured tree under --root.

/proc/net/bonding/<bond> is the main source. sysfs fills in what /proc
hides from unprivileged readers (the NRPE and Icinga agent case: 802.3ad
aggregator details need CAP_NET_ADMIN in /proc since kernel 4.x) and what
old drivers do not print (speed, duplex, primary_reselect).
"""
import logging
import os
from typing import Dict, List, Optional

from .ifname import valid_ifname
from .parse import (Aggregator, Bond, first_word, mode_name, parse_proc,
                    speed_of, to_int, to_name)

_log = logging.getLogger('nagiosplugin')

PROC_LIMIT = 256 * 1024   # a 802.3ad bond with 100 slaves prints ~70 KiB
SYSFS_LIMIT = 4096        # one sysfs attribute is at most a page
MAX_BONDS = 1024


class System:
    """The files of one Linux system, rooted at `root` ('/' for the live one)."""

    def __init__(self, root: str = '/'):
        self.root = root
        self._counters = None

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
        return data.decode('ascii', 'replace')

    def read_optional(self, relpath: str) -> Optional[str]:
        """Text of a file, or None where it is absent or unreadable.

        Reading carrier or speed of a down interface fails with EINVAL:
        that is data ("unknown"), not an error.
        """
        try:
            return self.read(relpath).strip()
        except OSError as err:
            _log.debug('cannot read %s: %s', self.path(relpath), err.strerror)
            return None

    def bond_names(self) -> List[str]:
        """Bonds known to the driver: bonding_masters, else /proc/net/bonding."""
        text = self.read_optional('sys/class/net/bonding_masters')
        if text is not None:
            names = text.split()
        else:
            try:
                names = sorted(os.listdir(self.path('proc/net/bonding')))
            except OSError:
                names = []
        return [n for n in names if valid_ifname(n)][:MAX_BONDS]

    def read_bond(self, name: str) -> Optional[Bond]:
        """The bond `name`, or None if it does not exist; raises OSError."""
        try:
            text = self.read('proc/net/bonding/' + name, PROC_LIMIT)
        except FileNotFoundError:
            return None
        bond = parse_proc(name, text)
        bond.slaves = [s for s in bond.slaves if valid_ifname(s.name)]
        self._fill_from_sysfs(bond)
        return bond

    def _bonding_attr(self, bond: Bond, attr: str) -> Optional[str]:
        return self.read_optional(f'sys/class/net/{bond.name}/bonding/{attr}')

    def _fill_from_sysfs(self, bond: Bond) -> None:
        """Complete what this reader's /proc view lacks, and only that."""
        if bond.mode is None:
            bond.mode = mode_name(first_word(self._bonding_attr(bond, 'mode')))
        if bond.primary is not None and bond.primary_reselect is None:
            bond.primary_reselect = first_word(self._bonding_attr(bond, 'primary_reselect'))
        for slave in bond.slaves:
            if slave.speed is None:
                slave.speed = speed_of(self.read_optional(f'sys/class/net/{slave.name}/speed'))
                slave.duplex = to_name(self.read_optional(f'sys/class/net/{slave.name}/duplex'))
        if bond.mode == '802.3ad':
            self._fill_lacp(bond)

    def _fill_lacp(self, bond: Bond) -> None:
        if bond.aggregator is None and not bond.no_active_aggregator:
            agg_id = to_int(self._bonding_attr(bond, 'ad_aggregator'))
            if agg_id is not None:
                bond.aggregator = Aggregator(
                    id=agg_id,
                    ports=to_int(self._bonding_attr(bond, 'ad_num_ports')),
                    partner_mac=self._bonding_attr(bond, 'ad_partner_mac'))
        for slave in bond.slaves:
            base = f'sys/class/net/{slave.name}/bonding_slave/'
            if slave.aggregator_id is None:
                slave.aggregator_id = to_int(self.read_optional(base + 'ad_aggregator_id'))
            if slave.actor_port_state is None:
                slave.actor_port_state = to_int(self.read_optional(base + 'ad_actor_oper_port_state'))
            if slave.partner_port_state is None:
                slave.partner_port_state = to_int(self.read_optional(base + 'ad_partner_oper_port_state'))

    def boot_id(self) -> Optional[str]:
        return self.read_optional('proc/sys/kernel/random/boot_id')

    def counters(self) -> Dict[str, object]:
        """psutil's per-interface counters (errin, errout, ...), read once a run."""
        if self._counters is None:
            import psutil
            psutil.PROCFS_PATH = self.path('proc')
            try:
                self._counters = psutil.net_io_counters(pernic=True)
            except (OSError, ValueError, RuntimeError) as err:
                _log.debug('no interface counters in %s: %s', psutil.PROCFS_PATH, err)
                self._counters = {}
        return self._counters
