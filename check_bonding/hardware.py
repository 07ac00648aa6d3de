"""What each slave stands on: its port, PCI function, card or USB adapter,
decided from world-readable sysfs links and attributes, live or under --root
(read safely by sysfs.SysfsReader).

Only a few links are read, one hop each: class/net/<if>, <net>/device,
<net>/lower_*, <device>/physfn (followed), <device>/subsystem and /driver
(their names only). Everything is memoised, so a slave costs a few syscalls
and a lower shared by several slaves (a NIC under two VLANs) is read once.
Hardware.facts() reads, for one bond, every fact the rules (shared_hardware.py)
compare; plugin.BondResource.probe() calls it, so judging reads nothing.
"""
from __future__ import annotations

import os
import re

from .ifname import valid_ifname
from .records import record
from .sysfs import DEVICES, SysfsReader

MAX_HOPS = 8         # VLAN on macvlan on ...: deeper is not judged

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
    # What the rules compare, read for the bond being judged (Hardware.facts);
    # None (or empty) where not read:
    'phys_port_id': None,    # judged: the physical port of `bottom` (NPAR partitions)
    'phys_switch_id': None,  # judged: the switch ASIC or eswitch of the port
    'phys_port_name': None,  # judged, with a switch id: pNsM on a sub-port of split port pN
    'dev_port': None,        # a PF's port, with another slave on its function: its number,
    'dev_id': None,          # and the older attribute (dev_port is 3.15+)
    'card': None,            # PCI: the card key (Hardware._card)
    'pf_enslaved': (),       # a VF: the netdevs of its PF that have a master (VF LAG)
}
PORT_ATTRIBUTES = ('phys_port_id', 'phys_switch_id')  # of judged slaves
PORT_NUMBERS = ('dev_port', 'dev_id')  # compared only within one PCI function, not of VFs


class Stand(record('Stand', STAND_FIELDS, 'What one slave stands on.')):
    __slots__ = ()

    @property
    def judged(self) -> bool:
        """Hardware that can be compared (not a VM, virtual or unknown)."""
        return self.kind in ('pci', 'usb', 'device')


class Hardware:
    """What the slaves of one system (a check_bonding.system.System) stand on,
    read through one SysfsReader, memoised."""

    def __init__(self, system):
        self.sysfs = SysfsReader(system.root)
        self._stands: dict = {}
        self._bond_lowers: dict = {}
        self._ifindexes = None
        self._enslaved: dict = {}

    # -- what a slave stands on ----------------------------------------------

    def stand(self, name: str, bond: str | None = None) -> Stand:
        """What slave `name` of `bond` stands on (memoised per interface)."""
        return self._stand(name, self.sysfs.net_dir(name), bond, 0)

    def _stand(self, name: str, net: str | None, bond: str | None, depth: int) -> Stand:
        if name not in self._stands:
            self._stands[name] = self._find(name, net, bond, depth)
        return self._stands[name]

    def _find(self, name: str, net: str | None, bond: str | None, depth: int) -> Stand:
        if net is None:
            return Stand(name=name, kind='unknown', why='no sysfs entry')
        device = self.sysfs.link(net + '/device')
        if device is not None:
            return self._device(Stand(name=name, bottom=name, net=net), device)
        lowers = [n[6:] for n in self.sysfs.listing(net, 'lower_')]
        if len(lowers) > 1:  # a team or bridge under the slave
            return Stand(name=name, kind='unknown', why='nested, not judged')
        if lowers:
            lower = lowers[0]
            lower_net = self.sysfs.link(f'{net}/lower_{lower}') if valid_ifname(lower) else None
            return self._stacked(name, net, lower, lower_net, bond, depth)
        if bond is not None and not self._adjacency(bond):
            lower = self._lower_by_iflink(net)  # kernels before 3.13 made no lower_ links
            if lower is not None:
                return self._stacked(name, net, lower, self.sysfs.net_dir(lower), bond, depth)
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
        bus = self.sysfs.link_name(device + '/subsystem')
        driver = self.sysfs.link_name(device + '/driver')
        stand = stand._replace(device=device, bus=bus, driver=driver)
        base = os.path.basename(device)
        if bus in VM_BUSES or driver in VM_DRIVERS:
            return stand._replace(kind='vm', why=bus if bus in VM_BUSES else driver)
        if re.fullmatch(USB_INTERFACE, base):
            return stand._replace(kind='usb')
        if not re.fullmatch(PCI_FUNCTION, base):
            return stand._replace(kind='device')
        pf = self.sysfs.link(device + '/physfn')
        if pf is not None and re.fullmatch(PCI_FUNCTION, os.path.basename(pf)):
            return stand._replace(kind='pci', function=pf, vf=True)
        if driver in VF_DRIVERS:
            return stand._replace(kind='orphan-vf', why=driver)
        return stand._replace(kind='pci', function=device)

    def devtype(self, net: str) -> str | None:
        """DEVTYPE= of a netdev's uevent: vlan, bond, ... (macvlan and veth have none)."""
        for line in (self.sysfs.read(net + '/uevent') or '').splitlines():
            if line.startswith('DEVTYPE='):
                return line[8:]
        return None

    def _virtual_kind(self, net: str) -> str:
        if self.sysfs.read(net + '/tun_flags') is not None:
            return 'tap'
        ifindex, iflink = self.sysfs.read(net + '/ifindex'), self.sysfs.read(net + '/iflink')
        if ifindex and iflink and ifindex != iflink:  # linked, with no lower_ link: a veth's
            return LINKED  # peer, or a macvlan's lower in another namespace (sysfs alike [M])
        return self.devtype(net) or ''

    def _adjacency(self, bond: str) -> bool:
        """Does the tree have lower_ links (kernel 3.13+)? The bond has them."""
        if bond not in self._bond_lowers:
            net = self.sysfs.net_dir(bond)
            self._bond_lowers[bond] = bool(net and self.sysfs.listing(net, 'lower_'))
        return self._bond_lowers[bond]

    def _lower_by_iflink(self, net: str) -> str | None:
        """Before 3.13: a VLAN's iflink is its lower's ifindex; the lower must
        have a device link (a veth's iflink names its peer)."""
        ifindex, iflink = self.sysfs.read(net + '/ifindex'), self.sysfs.read(net + '/iflink')
        if not iflink or iflink == ifindex:
            return None
        if self._ifindexes is None:
            self._ifindexes = {}
            for name in self.sysfs.listing('sys/class/net'):
                other = self.sysfs.net_dir(name)
                if other is not None:
                    self._ifindexes.setdefault(self.sysfs.read(other + '/ifindex'), name)
        lower = self._ifindexes.get(iflink)
        if lower is None or self.sysfs.link(self.sysfs.net_dir(lower) + '/device') is None:
            return None
        return lower

    # -- every fact the rules consult, read for one bond ----------------------

    def facts(self, bond) -> tuple[Stand, ...]:
        """A Stand per slave of `bond` with the port and card facts the rules
        compare, all read now (plugin.BondResource.probe): judging reads
        nothing. Fewer than two slaves, or sysfs showing another interface of
        the bond's name, are not judged: (). A slave that is not judged (VM,
        virtual, unknown) gets no port facts: nothing more is read."""
        if len(bond.slaves) < 2 or bond.sysfs_elsewhere:
            return ()
        stands = [self.stand(s.name, bond.name) for s in bond.slaves]
        functions = [s.function for s in stands if s.kind == 'pci']
        return tuple(self._with_facts(s, functions.count(s.function) > 1) if s.judged else s
                     for s in stands)

    def _with_facts(self, stand: Stand, shares_function: bool) -> Stand:
        """A judged stand with its bottom netdev's port attributes (its port
        name where it has a switch id: only a split port's is compared) and, on
        PCI, its card key, a PF's port numbers (where another slave shares its
        function) or a VF's enslaved PF netdevs."""
        facts = {name: self.sysfs.read(f'{stand.net}/{name}') for name in PORT_ATTRIBUTES}
        if facts['phys_switch_id'] is not None:
            facts['phys_port_name'] = self.sysfs.read(f'{stand.net}/phys_port_name')
        if stand.kind == 'pci':
            facts['card'] = self._card(stand.function)
            if stand.vf:
                facts['pf_enslaved'] = self._pf_enslaved(stand.function)
            elif shares_function:
                facts.update((name, self.sysfs.read(f'{stand.net}/{name}'))
                             for name in PORT_NUMBERS)
        return stand._replace(**facts)

    def _card(self, function: str) -> str:
        """The PCI card key: domain:bus:device of the physical function, or
        domain:bus where ARI is on (one device per bus, functions 8+ appear as
        bus:01.x)."""
        domain, bus, device, _ = re.fullmatch(PCI_FUNCTION, os.path.basename(function)).groups()
        if self.sysfs.read(function + '/ari_enabled') == '1':
            return f'{domain}:{bus}'
        return f'{domain}:{bus}:{device}'

    def _pf_enslaved(self, function: str) -> tuple:
        """The netdevs of this PF (the first 16) enslaved somewhere: outside the
        bond, its VFs use both ports of the card (mlx5 VF LAG)."""
        if function not in self._enslaved:
            net = function + '/net'
            self._enslaved[function] = tuple(
                name for name in self.sysfs.listing(net)[:16]
                if valid_ifname(name) and self.sysfs.readlink(f'{net}/{name}/master') is not None)
        return self._enslaved[function]
