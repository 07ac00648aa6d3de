"""Build --root trees modelled on real sysfs, for the hardware checks.

The layout is the kernel's: every device under sys/devices/ (PCI functions
below their root bus and bridges, USB interfaces below hubs), a netdev's
directory below its device (or in devices/virtual/net), class/net/<if> and
every link relative, as kernfs writes them. /proc/net/bonding text is what
the 6.1 driver prints (tests/data/fixtures), with names and MACs filled in.

    tree = Tree(tmp_path)
    card = tree.pci('pci0000:00/0000:00:01.0/0000:02:00.0', driver='igb')
    tree.netdev('eno1', card)
    tree.netdev('eno1.10', lower='eno1', devtype='vlan')
    tree.netdev('eno1.20', lower='eno1', devtype='vlan')
    tree.bond('bond0', ['eno1.10', 'eno1.20'])
"""
import os
from pathlib import Path

AB_HEAD = '''Ethernet Channel Bonding Driver: v6.1.176

Bonding Mode: fault-tolerance (active-backup){fail_over_mac}
Primary Slave: None
Currently Active Slave: {active}
MII Status: up
MII Polling Interval (ms): 100
Up Delay (ms): 0
Down Delay (ms): 0
Peer Notification Delay (ms): 0
'''
LACP_HEAD = '''Ethernet Channel Bonding Driver: v6.1.176

Bonding Mode: IEEE 802.3ad Dynamic link aggregation
Transmit Hash Policy: layer2 (0)
MII Status: up
MII Polling Interval (ms): 100
Up Delay (ms): 0
Down Delay (ms): 0
Peer Notification Delay (ms): 0

802.3ad info
LACP active: on
LACP rate: fast
Min links: 0
Aggregator selection policy (ad_select): stable
System priority: 65535
System MAC address: {mac}
Active Aggregator Info:
\tAggregator ID: 1
\tNumber of ports: {ports}
\tActor Key: 21
\tPartner Key: 21
\tPartner Mac Address: {partner}
'''
SLAVE = '''
Slave Interface: {name}
MII Status: up
Speed: {speed} Mbps
Duplex: full
Link Failure Count: 0
Permanent HW addr: {mac}
Slave queue ID: 0
'''
LACP_SLAVE = '''Aggregator ID: 1
Actor Churn State: none
Partner Churn State: none
Actor Churned Count: 0
Partner Churned Count: 0
details actor lacp pdu:
    system priority: 65535
    system mac address: {bond_mac}
    port key: 21
    port priority: 255
    port number: {number}
    port state: 63
details partner lacp pdu:
    system priority: 32768
    system mac address: {partner}
    oper key: 21
    port priority: 32768
    port number: {number}
    port state: 63
'''


class Tree:
    """A root directory with sys/ and proc/ as the kernel lays them out."""

    def __init__(self, root, plain=False, adjacency=True):
        self.root = Path(root)
        self.plain = plain          # class/net/<if> a directory (older --capture layout)
        self.adjacency = adjacency  # lower_/upper_ links (kernel 3.13+), else slave_ links
        self.ifindex = 1
        self.nets = {}              # name -> net dir (relative to root)
        self.macs = {}

    def path(self, relpath) -> Path:
        return self.root / relpath

    def write(self, relpath, text):
        path = self.path(relpath)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def link(self, relpath, target_relpath):
        """A relative symlink at `relpath` to `target_relpath` (both under the root)."""
        path = self.path(relpath)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(self.path(target_relpath), path.parent), path)

    def device(self, path, bus, driver=None, **files) -> str:
        """A device directory sys/devices/<path> with its subsystem and driver links."""
        device = f'sys/devices/{path}'
        self.path(device).mkdir(parents=True, exist_ok=True)
        self.link(f'{device}/subsystem', f'sys/bus/{bus}')
        if driver:
            self.link(f'{device}/driver', f'sys/bus/{bus}/drivers/{driver}')
        for name, text in files.items():
            self.write(f'{device}/{name}', f'{text}\n')
        return device

    def pci(self, path, driver=None, physfn=None, ari=None, vendor='0x8086') -> str:
        """A PCI function; `physfn`: the PF (a device path) of this VF; `ari`: ari_enabled."""
        files = {'vendor': vendor, 'class': '0x020000'}
        if ari is not None:
            files['ari_enabled'] = ari
        device = self.device(path, 'pci', driver, **files)
        if physfn:
            self.link(f'{device}/physfn', physfn)
            n = len(list(self.path(physfn).glob('virtfn*')))
            self.link(f'{physfn}/virtfn{n}', device)
        return device

    def netdev(self, name, device=None, lower=None, devtype=None, mac=None, **attrs) -> str:
        """A netdev under `device` (or virtual), stacked on `lower` if given; attrs
        become files (dev_port=0, phys_port_id='...'). Returns its net dir."""
        net = f'{device}/net/{name}' if device else f'sys/devices/virtual/net/{name}'
        index = attrs.pop('ifindex', None) or self._next_index()
        iflink = attrs.pop('iflink', None) or (self.ifindex_of(lower) if lower else index)
        uevent = (f'DEVTYPE={devtype}\n' if devtype else '') + f'INTERFACE={name}\nIFINDEX={index}'
        files = {'ifindex': index, 'iflink': iflink, 'uevent': uevent, 'operstate': 'up',
                 'address': mac or self._mac(lower), **attrs}
        if self.plain:
            net = f'sys/class/net/{name}'
        for attr, text in files.items():
            self.write(f'{net}/{attr}', f'{text}\n')
        if device:
            self.link(f'{net}/device', device)
        if not self.plain:
            self.link(f'sys/class/net/{name}', net)
        if lower and self.adjacency:
            self.link(f'{net}/lower_{lower}', self.nets[lower])
            self.link(f'{self.nets[lower]}/upper_{name}', net)
        self.nets[name] = net
        self.macs[name] = files['address']
        return net

    def ifindex_of(self, name):
        return self.path(f'{self.nets[name]}/ifindex').read_text().strip()

    def _next_index(self):
        self.ifindex += 1
        return self.ifindex

    def _mac(self, lower):
        return self.macs[lower] if lower else f'52:54:00:12:34:{self.ifindex:02x}'

    def bond(self, name, slaves, mode='active-backup', partner='00:1c:73:00:00:99',
             fail_over_mac=False, speed=10000):
        """A bond over `slaves` (already made with netdev(), or names without sysfs),
        its /proc file as the 6.1 driver prints it, and its links."""
        macs = [self.macs.get(s, f'52:54:00:ab:00:{i:02x}') for i, s in enumerate(slaves)]
        if mode == '802.3ad':
            text = LACP_HEAD.format(mac=macs[0], ports=len(slaves), partner=partner)
        else:
            text = AB_HEAD.format(active=slaves[0], fail_over_mac=' (fail_over_mac active)'
                                  if fail_over_mac else '')
        for number, (slave, mac) in enumerate(zip(slaves, macs), 1):
            text += SLAVE.format(name=slave, mac=mac, speed=speed)
            if mode == '802.3ad':
                text += LACP_SLAVE.format(bond_mac=macs[0], partner=partner, number=number)
        self.write(f'proc/net/bonding/{name}', text)
        masters = self.path('sys/class/net/bonding_masters')
        names = masters.read_text().split() if masters.exists() else []
        self.write('sys/class/net/bonding_masters', ' '.join(names + [name]) + '\n')
        net = self.netdev(name, devtype='bond', mac=macs[0])
        for slave in slaves:
            if slave not in self.nets:
                continue
            self.link(f'{self.nets[slave]}/master', net)
            if self.adjacency:
                self.link(f'{net}/lower_{slave}', self.nets[slave])
                self.link(f'{self.nets[slave]}/upper_{name}', net)
            else:
                self.link(f'{net}/slave_{slave}', self.nets[slave])
        return net
