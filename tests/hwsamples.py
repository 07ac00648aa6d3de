"""Real NICs modelled as sysfs trees (tests/hwtree.py), for the hardware check's
tests: each sample builds its tree in a Tree and returns nothing (a few return
the devices they made, for other samples to build on).

    root = build(tmp_path, e810)
"""
from hwtree import Tree

ICE_SWITCH = '303ea7ffff011a5a'


def e810(t, ari=1, functions=(0, 1), switch=ICE_SWITCH):
    """E810-XXV (ice): PFs below root port a0:01.0, one switch id on all PFs, 802.3ad."""
    names = []
    for f in functions:
        d = t.pci(f'pci0000:a0/0000:a0:01.0/0000:a2:{f // 8:02x}.{f % 8}', 'ice', ari=ari)
        names.append(f'enp162s0f{f}np{f}')
        attrs = {'phys_switch_id': switch} if switch else {}
        t.netdev(names[-1], d, dev_port=0, phys_port_name=f'p{f}', **attrs)
    t.bond('bond0', names, mode='802.3ad')


def x540(t):
    """X540-AT2 (ixgbe): two PFs 01:00.0/.1 below root port 00:02.0; returns them."""
    return [t.pci(f'pci0000:00/0000:00:02.0/0000:01:00.{f}', 'ixgbe') for f in (0, 1)]


def sriov_vfs_one_pf(t):
    """A pod's bond (bond-cni) over ixgbevf VFs 01:10.3 and 01:10.5 of PF 01:00.1:
    the PF's netdev is in the host's namespace, invisible here."""
    pf0, pf1 = x540(t)
    for n, vf in ((1, '01:10.3'), (2, '01:10.5')):
        t.netdev(f'net{n}', t.pci(f'pci0000:00/0000:00:02.0/0000:{vf}', 'ixgbevf', physfn=pf1))
    t.bond('bond0', ['net1', 'net2'], fail_over_mac=True)


def vfs_of_two_pfs(t):
    """01:10.2 is PF0's VF, 01:10.3 PF1's (offset and stride): one device number, two ports."""
    pf0, pf1 = x540(t)
    for n, (vf, pf) in ((1, ('01:10.2', pf0)), (2, ('01:10.3', pf1))):
        t.netdev(f'net{n}', t.pci(f'pci0000:00/0000:00:02.0/0000:{vf}', 'ixgbevf', physfn=pf))
    t.bond('bond0', ['net1', 'net2'], fail_over_mac=True)


def pf_and_its_vf(t):
    pf0, pf1 = x540(t)
    t.netdev('enp1s0f1', pf1)
    t.netdev('net1', t.pci('pci0000:00/0000:00:02.0/0000:01:10.1', 'ixgbevf', physfn=pf1))
    t.bond('bond0', ['enp1s0f1', 'net1'], fail_over_mac=True)


def vf_lag(t):
    """mlx5 VF LAG: the PF's netdev is enslaved in the host, so a VF uses both ports."""
    pf = t.pci('pci0000:00/0000:00:02.0/0000:01:00.0', 'mlx5_core', vendor='0x15b3')
    t.netdev('enp1s0f0np0', pf)
    t.bond('bond9', ['enp1s0f0np0'])
    for n in (1, 2):
        vf = t.pci(f'pci0000:00/0000:00:02.0/0000:01:00.{n + 1}', 'mlx5_core', physfn=pf)
        t.netdev(f'net{n}', vf)
    t.bond('bond0', ['net1', 'net2'], fail_over_mac=True)


def mlx4_one_function(t, dev_port=True):
    """ConnectX-3: one PCI function, two ports (enp4s0, enp4s0d1), phys_port_id per port."""
    d = t.pci('pci0000:00/0000:00:03.0/0000:04:00.0', 'mlx4_core', vendor='0x15b3')
    for port, name in enumerate(('enp4s0', 'enp4s0d1')):
        attrs = {'dev_port': port} if dev_port else {}
        t.netdev(name, d, dev_id=f'0x{port}', phys_port_id=f'0002c90300a1b2c{port + 1}', **attrs)
    t.bond('bond0', ['enp4s0', 'enp4s0d1'])


def mlx4_vfs_on_two_ports(t):
    pf = t.pci('pci0000:00/0000:00:03.0/0000:04:00.0', 'mlx4_core', vendor='0x15b3')
    for n in (1, 2):
        vf = t.pci(f'pci0000:00/0000:00:03.0/0000:04:00.{n}', 'mlx4_core', physfn=pf)
        t.netdev(f'net{n}', vf, dev_port=0, phys_port_id=f'0002c90300a1b2c{n}')
    t.bond('bond0', ['net1', 'net2'], fail_over_mac=True)


def x710(t, card, root_bus, root_port, bus):
    """One X710 dual-port card (i40e, phys_port_id = the port's MAC) behind a root port."""
    for f in (0, 1):
        d = t.pci(f'pci0000:{root_bus}/0000:{root_port}/0000:{bus}:00.{f}', 'i40e')
        t.netdev(f'p{card}p{f + 1}', d, dev_port=0, phys_port_id=f'3cfdfe9e{bus}{f}0')


def two_cards(t):
    x710(t, 1, '3a', '3a:00.0', '3b')
    x710(t, 3, '5d', '5d:00.0', '5e')


def two_cards_ok(t):
    """bond0 over a port of each card; bond1 over VLAN 100 of the other two."""
    two_cards(t)
    t.bond('bond0', ['p1p1', 'p3p1'])
    for port in ('p1p2', 'p3p2'):
        t.netdev(f'{port}.100', lower=port, devtype='vlan')
    t.bond('bond1', ['p1p2.100', 'p3p2.100'])


def two_plus_two(t):
    two_cards(t)
    t.bond('bond0', ['p1p1', 'p1p2', 'p3p1', 'p3p2'], mode='802.3ad')


def i350(t):
    return t.pci('pci0000:00/0000:00:01.0/0000:02:00.0', 'igb')


def vlans_one_nic(t, vids=(10, 20)):
    t.netdev('eno1', i350(t), dev_port=0)
    for vid in vids:
        t.netdev(f'eno1.{vid}', lower='eno1', devtype='vlan')
    t.bond('bond0', [f'eno1.{vid}' for vid in vids])


def macvlans_one_nic(t):
    t.netdev('eno1', i350(t), dev_port=0)
    for n in (0, 1):
        t.netdev(f'mv{n}', lower='eno1', mac=f'52:54:00:aa:00:0{n}')
    t.bond('bond0', ['mv0', 'mv1'], fail_over_mac=True)


def vm_virtio(t):
    """A KVM guest: virtio0/virtio1 below PCI functions 00:03.0 and 00:04.0."""
    for n in (0, 1):
        t.pci(f'pci0000:00/0000:00:0{n + 3}.0', 'virtio-pci', vendor='0x1af4')
        v = t.device(f'pci0000:00/0000:00:0{n + 3}.0/virtio{n}', 'virtio', 'virtio_net')
        t.netdev(f'eth{n}', v)
    t.bond('bond0', ['eth0', 'eth1'])


def npar(t, port_id='3cfdfe9e1a40'):
    """bnx2x NPAR: partitions .0 and .2 of one port are PCI functions of one device."""
    for n, f in ((2, 0), (4, 2)):
        d = t.pci(f'pci0000:00/0000:00:03.0/0000:05:00.{f}', 'bnx2x', vendor='0x14e4')
        t.netdev(f'eth{n}', d, dev_port=0, **({'phys_port_id': port_id} if port_id else {}))
    t.bond('bond0', ['eth2', 'eth4'])


def split_ports(t):
    """A Spectrum switch (mlxsw: one PCI function for all ports), port 1 split in two."""
    d = t.pci('pci0000:00/0000:00:01.0/0000:03:00.0', 'mlxsw_spectrum', vendor='0x15b3')
    for s in (0, 1):
        t.netdev(f'swp1s{s}', d, phys_switch_id='ec0d9a8a2e40', phys_port_name=f'p1s{s}')
    t.bond('bond0', ['swp1s0', 'swp1s1'], mode='802.3ad')


def usb(t, ports=('2-1.1', '2-1.2')):
    """USB Ethernet adapters (r8152) on an xHCI controller 00:14.0."""
    t.pci('pci0000:00/0000:00:14.0', 'xhci_hcd')
    path = 'pci0000:00/0000:00:14.0/usb2'
    for n, port in enumerate(ports):
        hub = port.rsplit('.', 1)[0] if '.' in port else None
        where = f'{path}/{hub}/{port}' if hub else f'{path}/{port}'
        t.device(where, 'usb', 'usb')
        t.netdev(f'usb{n}', t.device(f'{where}/{port}:1.0', 'usb', 'r8152'))
    t.bond('bond0', [f'usb{n}' for n in range(len(ports))])


def orphan_vfs(t):
    """A VM with two passed-through E810 VFs (iavf): their PF is the host's."""
    for n in (0, 1):
        t.netdev(f'eth{n}', t.pci(f'pci0000:00/0000:00:0{n + 5}.0', 'iavf'))
    t.bond('bond0', ['eth0', 'eth1'], fail_over_mac=True)


def three_one_unknown(t):
    for f in (0, 1):
        t.netdev(f'eth{f}', t.pci(f'pci0000:00/0000:00:01.0/0000:02:00.{f}', 'igb'))
    t.bond('bond0', ['eth0', 'eth1', 'eth2'])  # eth2: no sysfs entry at all


def plain_layout(t):
    """class/net/<if> as plain directories with a device link (prometheus/procfs)."""
    t.plain = True
    t.netdev('eth0', t.pci('pci0000:00/0000:00:1f.6', 'e1000e'))
    t.netdev('eth1', t.pci('pci0000:00/0000:00:01.0/0000:02:00.0', 'igb'))
    t.bond('bond0', ['eth0', 'eth1'])


def pre_3_13(t):
    """No lower_/upper_ links yet: the bond has slave_<if> links, a VLAN's iflink
    is its lower's ifindex."""
    t.adjacency = False
    vlans_one_nic(t)


def loms(t):
    """Two onboard chips on the root bus: other device number, other chip."""
    t.netdev('eno1', t.pci('pci0000:00/0000:00:19.0', 'e1000e'))
    t.netdev('eno2', t.pci('pci0000:00/0000:00:1f.6', 'e1000e'))
    t.bond('bond0', ['eno1', 'eno2'])


def pcie_switch(t):
    """Two single-port chips behind one PCIe switch (upstream port 02:00.0)."""
    for n, bus in ((1, '04'), (2, '05')):
        path = f'pci0000:00/0000:00:01.0/0000:02:00.0/0000:03:0{n - 1}.0/0000:{bus}:00.0'
        t.netdev(f'ens1f{n}', t.pci(path, 'ixgbe'))
    t.bond('bond0', ['ens1f1', 'ens1f2'])


def platform_one_device(t):
    """mvpp2: one platform device with several ports."""
    d = t.device('platform/f2000000.ethernet', 'platform', 'mvpp2')
    for n in (0, 1):
        t.netdev(f'eth{n}', d, dev_port=n)
    t.bond('bond0', ['eth0', 'eth1'])


def uml_netdevs(t):
    for n in (0, 1):
        t.netdev(f'eth{n}', t.device(f'platform/uml-netdev.{n}', 'platform', 'uml-netdev'))
    t.bond('bond0', ['eth0', 'eth1'])


def veths(t):
    for n in (0, 1):
        t.netdev(f'peer{n}')
        t.netdev(f'eth{n}', iflink=t.ifindex_of(f'peer{n}'))
    t.bond('bond0', ['eth0', 'eth1'])


def macvlans_of_another_namespace(t):
    """A container's macvlans over one host NIC: the lower is in the host's namespace,
    so no lower_ link; sysfs shows them as it shows a veth whose peer is elsewhere [M]."""
    for n in (0, 1):
        t.netdev(f'mv{n}', iflink='900')  # the host's eno1, ifindex 900 there
    t.bond('bond0', ['mv0', 'mv1'])


def tap_and_dummy(t):
    t.netdev('tap0', tun_flags='0x1002')
    t.netdev('dummy0')
    t.bond('bond0', ['tap0', 'dummy0'])


def old_capture(t, macs=('52:54:00:00:00:00', '52:54:00:00:00:01')):
    """What --capture wrote before: plain directories, no device links."""
    t.plain = True
    for n, mac in enumerate(macs):
        t.netdev(f'eth{n}', mac=mac)
    t.bond('bond0', ['eth0', 'eth1'])


def vlan_over_bond(t):
    """A bond over a VLAN of another bond: nested, not judged."""
    t.netdev('eno1', i350(t))
    t.netdev('eno2', t.pci('pci0000:00/0000:00:1c.0/0000:03:00.0', 'igb'))
    t.bond('bond1', ['eno1', 'eno2'])
    t.netdev('bond1.10', lower='bond1', devtype='vlan')
    t.netdev('eno3', t.pci('pci0000:00/0000:00:19.0', 'e1000e'))
    t.bond('bond0', ['bond1.10', 'eno3'])


def six_on_one_card(t):
    names = []
    for f in range(6):
        names.append(f'enp94s0f{f}')
        t.netdev(names[-1], t.pci(f'pci0000:5d/0000:5d:00.0/0000:5e:00.{f}', 'ice', ari=1))
    t.bond('bond0', names)


def pci_host(t, bonds=32):
    """`bonds` 802.3ad bonds, each over both ports of two X710 cards."""
    for b in range(bonds):
        names = []
        for card in (2 * b, 2 * b + 1):
            x710(t, card, '00', f'0000:00:{card // 8:02x}.{card % 8}', f'{card + 1:02x}')
            names += [f'p{card}p1', f'p{card}p2']
        t.bond(f'bond{b}', names, mode='802.3ad')


def build(tmp_path, sample):
    tree = Tree(tmp_path)
    sample(tree)
    return str(tmp_path)
