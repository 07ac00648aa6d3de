"""What each slave stands on: its port, PCI function, card or USB adapter,
read from world-readable sysfs links and attributes, live or under --root.

Only a few links are read, one hop each: class/net/<if>, <net>/device,
<net>/lower_*, <device>/physfn (followed), <device>/subsystem and /driver
(their names only). A link is refused when its target is absolute or leaves
sys/devices/, and nothing under a resolved directory is read before its
realpath is found inside the root: a captured tree may be hostile. Files are
read non-blocking, bounded and never through a symlink. Every refusal or
error makes that fact absent (logged at -vvv), never an exception.
Everything is memoised, so a slave costs a few syscalls and a lower shared
by several slaves (a NIC under two VLANs) is read once.
"""
from __future__ import annotations

import errno
import logging
import os
import re
from itertools import islice

from .ifname import valid_ifname
from .records import record

_log = logging.getLogger('nagiosplugin.check_bonding')  # -vvv: what was read

SYSFS_LIMIT = 4096   # one attribute is at most a page
MAX_HOPS = 8         # VLAN on macvlan on ...: deeper is not judged
MAX_ENTRIES = 4096   # directory entries looked at
DEVICES = 'sys/devices/'

# Patterns as strings: re compiles (and caches) one only when a name is matched,
# so a host without device links pays nothing for them.
PCI_FUNCTION = r'([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])'
USB_DEVICE = r'\d+-\d+(\.\d+)*'                 # 2-1, 2-1.3 (not root hub usb2)
USB_INTERFACE = r'\d+-\d+(\.\d+)*:\d+\.\d+'     # 2-1.3:1.0, where a netdev hangs
VF_DRIVERS = frozenset({'iavf', 'i40evf', 'ixgbevf', 'igbvf'})  # bind only to VFs
VM_BUSES = frozenset({'virtio', 'vmbus', 'xen'})
VM_DRIVERS = frozenset({'vmxnet3', 'ena', 'gve', 'mana'})      # PCI NICs only VMs have
LINKED = 'veth, or stacked on an interface in another namespace'


STAND_FIELDS = {
    'name': None,       # the slave
    'kind': None,       # 'pci', 'usb', 'device' (another bus: platform, ...), 'vm',
                        # 'orphan-vf' (its PF not visible), 'virtual', 'unknown'
    'why': None,        # vm: virtio, vmxnet3, ...; orphan-vf: its driver; virtual: tap,
                        # LINKED, a DEVTYPE or ''; unknown: the reason
    'bottom': None,     # the netdev under any VLANs/macvlans (None where not known)
    'net': None,        # its sysfs directory, relative to the root
    'stacked': False,   # the slave is stacked on `bottom`,
    'top': None,        # as 'vlan' or 'stacked'
    'device': None,     # the parent device's directory, under sys/devices/
    'bus': None,        # names of its subsystem and driver links
    'driver': None,
    'function': None,   # PCI: the physical function (a VF's PF)
    'vf': False,        # PCI: the device is a VF
}


class Stand(record('Stand', STAND_FIELDS, 'What one slave stands on.')):
    __slots__ = ()

    @property
    def judged(self) -> bool:
        """Hardware that can be compared (not a VM, virtual or unknown)."""
        return self.kind in ('pci', 'usb', 'device')


class Hardware:
    """The sysfs facts of one system (a check_bonding.system.System), memoised."""

    def __init__(self, system):
        self.system = system
        self.prefix = os.path.join(system.root, '')  # + a path relative to the root
        self._stands: dict = {}
        self._nets: dict = {}
        self._links: dict = {}
        self._files: dict = {}
        self._checked: dict = {}
        self._real_root = os.path.realpath(system.root)
        self._bond_lowers: dict = {}
        self._ifindexes = None
        self.unreadable: dict = {}  # relpath -> why, for --capture (EOPNOTSUPP: not supported)

    # -- reading ------------------------------------------------------------

    def _path(self, relpath: str) -> str:
        return self.prefix + relpath

    def read(self, relpath: str) -> str | None:
        """A sysfs attribute, stripped; None when absent, unreadable, empty or a symlink
        (EOPNOTSUPP is how a driver says "not supported")."""
        if relpath not in self._files:
            self._files[relpath] = self._read(relpath) if self._parent_inside(relpath) else None
        return self._files[relpath]

    def _read(self, relpath: str) -> str | None:
        path = self._path(relpath)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW)
            try:
                data = os.read(fd, SYSFS_LIMIT)
            finally:
                os.close(fd)
        except OSError as err:
            if err.errno != errno.ENOENT:
                _log.debug('cannot read %s: %s', path, err.strerror)
                self.unreadable[relpath] = ('not supported' if err.errno == errno.EOPNOTSUPP
                                            else err.strerror)
            return None
        _log.debug('read %s (%d bytes)', path, len(data))
        return data.decode('utf-8', 'replace').strip() or None

    def link(self, relpath: str) -> str | None:
        """Where the link at `relpath` leads: a directory under sys/devices/ inside
        the root, as a normalised relative path; None if it is no such link."""
        if relpath not in self._links:
            self._links[relpath] = self._resolve(relpath, self._target(relpath))
        return self._links[relpath]

    def link_name(self, relpath: str) -> str | None:
        """The last name of a link's target (subsystem, driver), never followed."""
        target = self._target(relpath)
        if not target:
            return None
        return os.path.basename(target.rstrip('/')) or None

    def link_text(self, relpath: str) -> str | None:
        """A link's text where it is relative and stays inside the root (--capture
        copies it verbatim); None otherwise."""
        target = self._target(relpath)
        if target is None or os.path.isabs(target) or os.path.normpath(
                os.path.join(os.path.dirname(relpath), target)).split('/')[0] == '..':
            return None
        return target

    def _target(self, relpath: str) -> str | None:
        if not self._parent_inside(relpath):
            return None
        try:
            return os.readlink(self._path(relpath))
        except OSError as err:
            if err.errno != errno.ENOENT:
                _log.debug('no link %s: %s', self._path(relpath), err.strerror)
            return None

    def _resolve(self, relpath: str, target: str | None) -> str | None:
        if target is None:
            return None
        resolved = os.path.normpath(os.path.join(os.path.dirname(relpath), target))
        if os.path.isabs(target) or not resolved.startswith(DEVICES):
            _log.debug('refused link %s -> %s', self._path(relpath), target)
            return None
        return resolved if self._inside(resolved) else None

    def _parent_inside(self, relpath: str) -> bool:
        return self._real_root == '/' or self._inside(os.path.dirname(relpath))

    def _inside(self, reldir: str) -> bool:
        """Is the real path of `reldir` inside the root? A hostile tree may hide a
        symlink in a middle component. Always true on the live system."""
        if self._real_root == '/':
            return True
        if reldir not in self._checked:
            self._checked[reldir] = self._inside_real(reldir)
        return self._checked[reldir]

    def _inside_real(self, reldir: str) -> bool:
        real = os.path.realpath(self._path(reldir))
        if (real == self._real_root or real.startswith(self._real_root.rstrip('/') + '/')) \
                and os.path.isdir(real):  # not a symlink loop
            return True
        _log.debug('refused %s: its real path %s is no directory inside the root',
                   self._path(reldir), real)
        return False

    def listing(self, reldir: str, prefix: str = '') -> list[str]:
        """Names in a directory starting with `prefix` (at most MAX_ENTRIES looked at)."""
        if not self._inside(reldir):
            return []
        try:
            with os.scandir(self._path(reldir)) as entries:
                return [e.name for e in islice(entries, MAX_ENTRIES) if e.name.startswith(prefix)]
        except OSError as err:
            _log.debug('cannot list %s: %s', self._path(reldir), err.strerror)
            return []

    # -- what a slave stands on ----------------------------------------------

    def net_dir(self, name: str) -> str | None:
        """The sysfs directory of interface `name`: where class/net/<name> leads, or
        class/net/<name> itself where it is a plain directory (older captures)."""
        if name not in self._nets:
            relpath = 'sys/class/net/' + name
            target = self._target(relpath) if valid_ifname(name) else None
            if target is not None:
                self._nets[name] = self._resolve(relpath, target)
            else:
                self._nets[name] = relpath if valid_ifname(name) and os.path.isdir(
                    self._path(relpath)) and self._inside(relpath) else None
        return self._nets[name]

    def stand(self, name: str, bond: str | None = None) -> Stand:
        """What slave `name` of `bond` stands on (memoised per interface)."""
        return self._stand(name, self.net_dir(name), bond, 0)

    def _stand(self, name: str, net: str | None, bond: str | None, depth: int) -> Stand:
        if name not in self._stands:
            self._stands[name] = self._find(name, net, bond, depth)
        return self._stands[name]

    def _find(self, name: str, net: str | None, bond: str | None, depth: int) -> Stand:
        if net is None:
            return Stand(name=name, kind='unknown', why='no sysfs entry')
        device = self.link(net + '/device')
        if device is not None:
            return self._device(Stand(name=name, bottom=name, net=net), device)
        lowers = [n[6:] for n in self.listing(net, 'lower_')]
        if len(lowers) > 1:  # a team or bridge under the slave
            return Stand(name=name, kind='unknown', why='nested, not judged')
        if lowers:
            lower = lowers[0]
            lower_net = self.link(f'{net}/lower_{lower}') if valid_ifname(lower) else None
            return self._stacked(name, net, lower, lower_net, bond, depth)
        if bond is not None and not self._adjacency(bond):
            lower = self._lower_by_iflink(net)  # kernels before 3.13 made no lower_ links
            if lower is not None:
                return self._stacked(name, net, lower, self.net_dir(lower), bond, depth)
        if net.startswith(DEVICES + 'virtual/'):
            return Stand(name=name, kind='virtual', why=self._virtual_kind(net), bottom=name,
                         net=net)
        return Stand(name=name, kind='unknown', why='no device link in this tree', bottom=name,
                     net=net)

    def _stacked(self, name, net, lower, lower_net, bond, depth) -> Stand:
        """`name` on `lower`: what the lower stands on, seen from the top."""
        if lower_net is None:
            return Stand(name=name, kind='unknown', why=f'no sysfs entry for its lower {lower}')
        if depth >= MAX_HOPS or self.devtype(lower_net) == 'bond':
            return Stand(name=name, kind='unknown', why='nested, not judged')
        below = self._stand(lower, lower_net, bond, depth + 1)
        if below.bottom is None:
            return below._replace(name=name)
        top = 'vlan' if self.devtype(net) == 'vlan' else 'stacked'
        return below._replace(name=name, stacked=True, top=top)

    def _device(self, stand: Stand, device: str) -> Stand:
        bus = self.link_name(device + '/subsystem')
        driver = self.link_name(device + '/driver')
        stand = stand._replace(device=device, bus=bus, driver=driver)
        base = os.path.basename(device)
        if bus in VM_BUSES or driver in VM_DRIVERS:
            return stand._replace(kind='vm', why=bus if bus in VM_BUSES else driver)
        if re.fullmatch(USB_INTERFACE, base):
            return stand._replace(kind='usb')
        if not re.fullmatch(PCI_FUNCTION, base):
            return stand._replace(kind='device')
        pf = self.link(device + '/physfn')
        if pf is not None and re.fullmatch(PCI_FUNCTION, os.path.basename(pf)):
            return stand._replace(kind='pci', function=pf, vf=True)
        if driver in VF_DRIVERS:
            return stand._replace(kind='orphan-vf', why=driver)
        return stand._replace(kind='pci', function=device)

    def devtype(self, net: str) -> str | None:
        """DEVTYPE= of a netdev's uevent: vlan, bond, ... (macvlan and veth have none)."""
        for line in (self.read(net + '/uevent') or '').splitlines():
            if line.startswith('DEVTYPE='):
                return line[8:]
        return None

    def _virtual_kind(self, net: str) -> str:
        if self.read(net + '/tun_flags') is not None:
            return 'tap'
        ifindex, iflink = self.read(net + '/ifindex'), self.read(net + '/iflink')
        if ifindex and iflink and ifindex != iflink:  # linked, with no lower_ link: a veth's
            return LINKED  # peer, or a macvlan's lower in another namespace (sysfs alike [M])
        return self.devtype(net) or ''

    def _adjacency(self, bond: str) -> bool:
        """Does the tree have lower_ links (kernel 3.13+)? The bond has them."""
        if bond not in self._bond_lowers:
            net = self.net_dir(bond)
            self._bond_lowers[bond] = bool(net and self.listing(net, 'lower_'))
        return self._bond_lowers[bond]

    def _lower_by_iflink(self, net: str) -> str | None:
        """Before 3.13: a VLAN's iflink is its lower's ifindex; the lower must
        have a device link (a veth's iflink names its peer)."""
        ifindex, iflink = self.read(net + '/ifindex'), self.read(net + '/iflink')
        if not iflink or iflink == ifindex:
            return None
        if self._ifindexes is None:
            self._ifindexes = {}
            for name in self.listing('sys/class/net'):
                other = self.net_dir(name)
                if other is not None:
                    self._ifindexes.setdefault(self.read(other + '/ifindex'), name)
        lower = self._ifindexes.get(iflink)
        if lower is None or self.link(self.net_dir(lower) + '/device') is None:
            return None
        return lower

    # -- facts the rules ask for (read on demand) ------------------------------

    def port(self, stand: Stand, attribute: str) -> str | None:
        """A port attribute of the slave's bottom netdev: dev_port, dev_id,
        phys_port_id, phys_port_name, phys_switch_id."""
        return self.read(f'{stand.net}/{attribute}') if stand.net else None

    def card(self, stand: Stand) -> str | None:
        """The PCI card key: domain:bus:device of the physical function, or
        domain:bus where ARI is on (one device per bus, functions 8+ appear as
        bus:01.x)."""
        if stand.kind != 'pci':
            return None
        address = os.path.basename(stand.function)
        domain, bus, device, _ = re.fullmatch(PCI_FUNCTION, address).groups()
        if self.read(stand.function + '/ari_enabled') == '1':
            return f'{domain}:{bus}'
        return f'{domain}:{bus}:{device}'

    def pf_bonded(self, function: str, slaves=()) -> bool:
        """Is a netdev of this PF enslaved elsewhere (mlx5 VF LAG: its VFs use
        both ports of the card)? `slaves`: the bond's own, not counted."""
        net = function + '/net'
        return any(self._target(f'{net}/{name}/master') is not None
                   for name in self.listing(net)[:16] if valid_ifname(name) and name not in slaves)
