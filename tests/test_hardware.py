"""Hardware single points of failure (hardware.py, shared_hardware.py) on trees modelled on
real NICs (tests/hwtree.py): what each slave stands on, the finding or the -v
notes, hostile trees, and what it costs."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from check_bonding import shared_hardware
from check_bonding.capture import capture
from check_bonding.findings import FINDINGS
from check_bonding.hardware import Hardware
from check_bonding.system import System
from helpers import EXAMPLES, FIXTURES, run_check
from test_hostile import FIRST_LINE
from hwtree import Tree

ICE_SWITCH = '303ea7ffff011a5a'


# -- samples: each builds a tree in a directory and returns nothing ---------------

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


W = 'warning'
PARTNER = ('both ports in aggregator 1 reach partner 00:1c:73:00:00:99: one LACP system '
           '(a single switch, a stack or an MLAG pair; not judged)')

# sample, bond, [(state, text)] that the hardware check gives (the -v lines)
CASES = {
    'e810 ARI': (e810, 'bond0', [
        (W, 'enp162s0f0np0 and enp162s0f1np1 are ports of one NIC (PCI 0000:a2:00.0/.1): '
            'a card failure takes both'), ('ok', PARTNER)]),
    'e810 without ari_enabled': (lambda t: e810(t, ari=None), 'bond0', [
        (W, 'enp162s0f0np0 and enp162s0f1np1 are ports of one NIC (PCI 0000:a2:00.0/.1): '
            'a card failure takes both'), ('ok', PARTNER)]),
    'e810 functions 0 and 8, ARI': (lambda t: e810(t, functions=(0, 8)), 'bond0', [
        (W, 'enp162s0f0np0 and enp162s0f8np8 are ports of one NIC (PCI 0000:a2:00.0/01.0): '
            'a card failure takes both'), ('ok', PARTNER)]),
    'e810 functions 0 and 8, no ARI: the switch id tells': (
        lambda t: e810(t, ari=None, functions=(0, 8)), 'bond0', [
            (W, 'enp162s0f0np0 and enp162s0f8np8 are ports of one NIC (switch id '
                '303ea7ffff011a5a): a card failure takes both'), ('ok', PARTNER)]),
    'e810 functions 0 and 8, no ARI, no switch id: a miss, the bridge noted': (
        lambda t: e810(t, ari=None, functions=(0, 8), switch=None), 'bond0', [
            ('ok', 'slaves on separate hardware: enp162s0f0np0 (PCI 0000:a2:00.0, ice), '
                   'enp162s0f8np8 (PCI 0000:a2:01.0, ice)'),
            ('ok', 'all slaves sit behind PCI bridge 0000:a0:01.0 (one multi-chip card, or a '
                   'riser?)'), ('ok', PARTNER)]),
    'sriov VFs of one PF': (sriov_vfs_one_pf, 'bond0', [
        (W, 'net1 and net2 are virtual functions of one port (PF 0000:01:00.1): a cable, port '
            'or card failure takes both')]),
    'VFs of two PFs: addresses lie': (vfs_of_two_pfs, 'bond0', [
        (W, 'net1 and net2 are ports of one NIC (PCI 0000:01:00.0/.1): a card failure takes '
            'both')]),
    'a PF and its own VF': (pf_and_its_vf, 'bond0', [
        (W, 'enp1s0f1 and net1 are functions of one port (PF 0000:01:00.1): a cable, port or '
            'card failure takes both')]),
    'VF LAG: one card, not one port': (vf_lag, 'bond0', [
        (W, 'net1 and net2 are ports of one NIC (PCI 0000:01:00.0): a card failure takes '
            'both')]),
    'mlx4 one function': (mlx4_one_function, 'bond0', [
        (W, 'enp4s0 and enp4s0d1 are 2 ports of one PCI function (0000:04:00.0, dev_port '
            '0/1): a card failure takes both')]),
    'mlx4 before dev_port (3.15)': (lambda t: mlx4_one_function(t, dev_port=False), 'bond0', [
        (W, 'enp4s0 and enp4s0d1 are 2 ports of one PCI function (0000:04:00.0, dev_id '
            '0x0/0x1): a card failure takes both')]),
    'mlx4 VFs on two ports': (mlx4_vfs_on_two_ports, 'bond0', [
        (W, 'net1 and net2 are ports of one NIC (PCI 0000:04:00.0): a card failure takes '
            'both')]),
    'two cards ok': (two_cards_ok, 'bond0', [
        ('ok', 'slaves on separate hardware: p1p1 (PCI 0000:3b:00.0, i40e), p3p1 (PCI '
               '0000:5e:00.0, i40e)')]),
    'two cards ok, VLANs': (two_cards_ok, 'bond1', [
        ('ok', 'slaves on separate hardware: p1p2.100 (PCI 0000:3b:00.1, i40e), p3p2.100 (PCI '
               '0000:5e:00.1, i40e)')]),
    '2+2 ports on two cards': (two_plus_two, 'bond0', [
        ('ok', 'p1p1 and p1p2 share NIC 0000:3b:00.0, p3p1 and p3p2 share NIC 0000:5e:00.0: '
               'no single card carries all 4'),
        ('ok', 'all 4 ports in aggregator 1 reach partner 00:1c:73:00:00:99: one LACP system '
               '(a single switch, a stack or an MLAG pair; not judged)')]),
    'VLANs of one port': (vlans_one_nic, 'bond0', [
        (W, 'eno1.10 and eno1.20 are VLANs of one interface eno1: one port, one cable')]),
    'three VLANs of one port': (lambda t: vlans_one_nic(t, (10, 20, 30)), 'bond0', [
        (W, 'eno1.10, eno1.20 and eno1.30 are VLANs of one interface eno1: one port, one '
            'cable')]),
    'macvlans of one port': (macvlans_one_nic, 'bond0', [
        (W, 'mv0 and mv1 are stacked on one interface eno1: one port, one cable')]),
    'virtio guest': (vm_virtio, 'bond0', [
        ('ok', 'eth0 and eth1 are virtio devices (a VM): whether the host gives them separate '
               'NICs cannot be seen here')]),
    'NPAR partitions of one port': (npar, 'bond0', [
        (W, 'eth2 and eth4 share one physical port (phys_port_id 3cfdfe9e1a40): partitions of '
            'one port')]),
    'NPAR without phys_port_id: one NIC': (lambda t: npar(t, None), 'bond0', [
        (W, 'eth2 and eth4 are ports of one NIC (PCI 0000:05:00.0/.2): a card failure takes '
            'both')]),
    'split port': (split_ports, 'bond0', [
        (W, 'swp1s0 and swp1s1 are sub-ports of split port p1 (switch id ec0d9a8a2e40): one '
            'cage, one breakout cable'), ('ok', PARTNER)]),
    'USB adapters behind one hub': (usb, 'bond0', [
        (W, 'usb0 and usb1 are behind one USB device 2-1: unplugging it takes both')]),
    'USB adapters on two root ports': (lambda t: usb(t, ('2-1', '2-2')), 'bond0', [
        ('ok', 'slaves on separate hardware: usb0 (USB 2-1, r8152), usb1 (USB 2-2, r8152)'),
        ('ok', 'all slaves share USB host controller 0000:00:14.0')]),
    'orphan VFs in a VM': (orphan_vfs, 'bond0', [
        ('ok', 'eth0 and eth1 are virtual functions (iavf) whose physical functions are not '
               'visible here: not judged')]),
    'three slaves, one unknown': (three_one_unknown, 'bond0', [
        ('ok', 'hardware of eth2 unknown (no sysfs entry)'),
        ('ok', 'eth0 and eth1 share NIC 0000:02:00.0')]),
    'plain class/net directories': (plain_layout, 'bond0', [
        ('ok', 'slaves on separate hardware: eth0 (PCI 0000:00:1f.6, e1000e), eth1 (PCI '
               '0000:02:00.0, igb)')]),
    'before 3.13: no lower_ links': (pre_3_13, 'bond0', [
        (W, 'eno1.10 and eno1.20 are VLANs of one interface eno1: one port, one cable')]),
    'onboard chips on the root bus': (loms, 'bond0', [
        ('ok', 'slaves on separate hardware: eno1 (PCI 0000:00:19.0, e1000e), eno2 (PCI '
               '0000:00:1f.6, e1000e)')]),
    'two chips behind a PCIe switch': (pcie_switch, 'bond0', [
        ('ok', 'slaves on separate hardware: ens1f1 (PCI 0000:04:00.0, ixgbe), ens1f2 (PCI '
               '0000:05:00.0, ixgbe)'),
        ('ok', 'all slaves sit behind PCI bridge 0000:02:00.0 (one multi-chip card, or a '
               'riser?)')]),
    'one platform device': (platform_one_device, 'bond0', [
        (W, 'eth0 and eth1 are served by one device platform/f2000000.ethernet: its failure '
            'takes both')]),
    'two UML network devices': (uml_netdevs, 'bond0', [
        ('ok', 'slaves on separate hardware: eth0 (platform/uml-netdev.0, uml-netdev), eth1 '
               '(platform/uml-netdev.1, uml-netdev)')]),
    'veths': (veths, 'bond0', [
        ('ok', 'eth0 and eth1 are virtual devices (veth): no hardware to compare')]),
    'tap and dummy': (tap_and_dummy, 'bond0', [
        ('ok', 'tap0 is a virtual device (tap): no hardware to compare'),
        ('ok', 'dummy0 is a virtual device: no hardware to compare')]),
    'an older capture': (old_capture, 'bond0', [
        ('ok', 'hardware of eth0 and eth1 unknown (no device link in this tree)')]),
    'an older capture, one MAC': (lambda t: old_capture(t, ('52:54:00:00:00:07',) * 2),
                                  'bond0', [
        ('ok', 'hardware of eth0 and eth1 unknown (no device link in this tree)'),
        ('ok', 'eth0 and eth1 had one MAC when enslaved: stacked on one device?')]),
    'VLAN of a bond': (vlan_over_bond, 'bond0', [
        ('ok', 'hardware of bond1.10 unknown (nested, not judged)')]),
    'six ports of one card': (six_on_one_card, 'bond0', [
        (W, 'all 6 slaves are ports of one NIC (PCI 0000:5e:00.0/.1/.2/.3/.4/.5): a card '
            'failure takes all 6')]),
    'a single slave': (lambda t: (t.netdev('eno1', i350(t)), t.bond('bond0', ['eno1'])),
                       'bond0', []),
}


def build(tmp_path, sample):
    tree = Tree(tmp_path)
    sample(tree)
    return str(tmp_path)


def hardware_findings(root, bond):
    system = System(root)
    return shared_hardware.judge(Hardware(system).facts(system.read_bond(bond)))


@pytest.mark.parametrize('name', CASES)
def test_what_the_hardware_check_finds(tmp_path, name):
    sample, bond, expected = CASES[name]
    findings = hardware_findings(build(tmp_path, sample), bond)
    assert [(str(f.state), f.text) for f in findings] == expected
    assert all(f.name in FINDINGS and f.slave is None for f in findings)


def test_a_finding_names_its_identifier(tmp_path):
    names = {case: [f.name for f in hardware_findings(build(tmp_path / case, CASES[case][0]),
                                                      CASES[case][1])]
             for case in ('VLANs of one port', 'sriov VFs of one PF', 'e810 ARI', 'veths',
                          'two cards ok', '2+2 ports on two cards', 'an older capture')}
    assert names == {
        'VLANs of one port': ['shared-port'], 'sriov VFs of one PF': ['shared-port'],
        'e810 ARI': ['shared-nic', 'lacp-one-partner'], 'veths': ['hardware-virtual'],
        'two cards ok': ['hardware-separate'],
        '2+2 ports on two cards': ['hardware-partly-shared', 'lacp-one-partner'],
        'an older capture': ['hardware-unknown']}


def test_what_a_slave_stands_on(tmp_path):
    hw = Hardware(System(build(tmp_path, sriov_vfs_one_pf)))
    net1 = hw.stand('net1', 'bond0')
    assert (net1.kind, net1.vf, net1.bus, net1.driver) == ('pci', True, 'pci', 'ixgbevf')
    assert net1.device == 'sys/devices/pci0000:00/0000:00:02.0/0000:01:10.3'
    assert net1.function == 'sys/devices/pci0000:00/0000:00:02.0/0000:01:00.1'
    hw = Hardware(System(build(tmp_path / 'vlans', vlans_one_nic)))
    vlan = hw.stand('eno1.10', 'bond0')
    assert (vlan.bottom, vlan.stacked, vlan.top, vlan.kind) == ('eno1', True, 'vlan', 'pci')
    assert vlan.net == 'sys/devices/pci0000:00/0000:00:01.0/0000:02:00.0/net/eno1'


# -- hostile trees: no exception, nothing read outside the root -----------------------

class Accesses:
    """Every open, readlink and listing the hardware reader makes (realpath's own
    lstat/readlink of the path it resolves aside)."""

    def __init__(self, monkeypatch):
        self.seen = []
        self.resolving = False
        real_open, real_readlink, real_scandir = os.open, os.readlink, os.scandir
        real_realpath = os.path.realpath

        def realpath(path, *args, **kwargs):
            self.resolving = True
            try:
                return real_realpath(path, *args, **kwargs)
            finally:
                self.resolving = False

        def opened(path, flags, *args, **kwargs):
            self.seen.append(('open', str(path), flags))
            return real_open(path, flags, *args, **kwargs)

        def readlink(path, *args, **kwargs):
            if not self.resolving:
                self.seen.append(('readlink', str(path), 0))
            return real_readlink(path, *args, **kwargs)

        def scandir(path='.'):
            self.seen.append(('scandir', str(path), 0))
            return real_scandir(path)
        monkeypatch.setattr(os.path, 'realpath', realpath)
        monkeypatch.setattr(os, 'open', opened)
        monkeypatch.setattr(os, 'readlink', readlink)
        monkeypatch.setattr(os, 'scandir', scandir)
        self.real_realpath = real_realpath

    def outside(self, root) -> list:
        """Accesses whose real place is outside `root`: a file opened following a
        symlink, or anything in a directory that really lies elsewhere."""
        real_root = self.real_realpath(root)

        def inside(path):
            real = self.real_realpath(path)
            return real == real_root or real.startswith(real_root + '/')
        return [(what, path) for what, path, flags in self.seen
                if not inside(path if what == 'scandir' else os.path.dirname(path))
                or (what == 'open' and not flags & os.O_NOFOLLOW and not inside(path))]


def judge_watched(monkeypatch, root, bond='bond0'):
    system = System(root)
    parsed = system.read_bond(bond)  # System's own reads are not this module's
    watch = Accesses(monkeypatch)
    findings = shared_hardware.judge(Hardware(system).facts(parsed))
    monkeypatch.undo()
    return findings, watch.outside(root)


def outside_tree(base):
    """A realistic NIC outside the root, and a secret: what a hostile tree points at."""
    outside = Tree(base / 'outside')
    outside.netdev('eth0', outside.pci('pci0000:00/0000:00:01.0/0000:02:00.0', 'igb'),
                   dev_port=0)
    (base / 'outside/secret').write_text('secret\n')
    return base / 'outside'


def hostile(base, damage):
    """vlans_one_nic with one thing broken by `damage(tree, outside)`."""
    outside = outside_tree(base)
    tree = Tree(base / 'root')
    vlans_one_nic(tree)
    damage(tree, outside)
    return str(tree.root)


def replace(tree, relpath, make):
    path = tree.path(relpath)
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    make(path)


ENO1 = 'sys/devices/pci0000:00/0000:00:01.0/0000:02:00.0/net/eno1'
VLAN = 'sys/devices/virtual/net/eno1.10'
DAMAGE = {
    'class link absolute': lambda t, out: replace(
        t, 'sys/class/net/eno1.10', lambda p: p.symlink_to(out / 'sys/devices/pci0000:00/'
                                                         '0000:00:01.0/0000:02:00.0/net/eth0')),
    'class link escaping with ..': lambda t, out: replace(
        t, 'sys/class/net/eno1.10', lambda p: p.symlink_to('../../../../outside/sys/devices/'
                                                         'pci0000:00/0000:00:01.0/0000:02:00.0/'
                                                         'net/eth0')),
    'class link outside sys/devices': lambda t, out: replace(
        t, 'sys/class/net/eno1.10', lambda p: p.symlink_to('../../../proc/net')),
    'class link loop': lambda t, out: replace(
        t, 'sys/class/net/eno1.10', lambda p: p.symlink_to('eno1.10')),
    'lower link escaping': lambda t, out: replace(
        t, f'{VLAN}/lower_eno1', lambda p: p.symlink_to('../../../../../outside/sys/devices/'
                                                      'pci0000:00/0000:00:01.0/0000:02:00.0/'
                                                      'net/eth0')),
    'lower links in a loop': lambda t, out: (
        replace(t, f'{VLAN}/lower_eno1', lambda p: p.symlink_to('../eno1.20')),
        replace(t, 'sys/devices/virtual/net/eno1.20/lower_eno1',
                lambda p: p.symlink_to('../eno1.10'))),
    'device absolute': lambda t, out: replace(
        t, f'{ENO1}/device', lambda p: p.symlink_to(out / 'sys/devices/pci0000:00/0000:00:01.0/'
                                                         '0000:02:00.0')),
    'device escaping with ..': lambda t, out: replace(
        t, f'{ENO1}/device', lambda p: p.symlink_to('../' * 8 + 'outside/sys/devices/'
                                                   'pci0000:00/0000:00:01.0/0000:02:00.0')),
    'device a FIFO': lambda t, out: replace(t, f'{ENO1}/device', lambda p: os.mkfifo(p)),
    'device a link to a FIFO': lambda t, out: (
        os.mkfifo(t.path('sys/devices/fifo')),
        replace(t, f'{ENO1}/device', lambda p: p.symlink_to('../../../../../fifo'))),
    'device a loop': lambda t, out: replace(t, f'{ENO1}/device', lambda p: p.symlink_to('device')),
    'a middle directory links outside': lambda t, out: replace(
        t, 'sys/devices/pci0000:00', lambda p: p.symlink_to(out / 'sys/devices/pci0000:00')),
    'physfn garbage': lambda t, out: replace(
        t, 'sys/devices/pci0000:00/0000:00:01.0/0000:02:00.0/physfn',
        lambda p: p.write_bytes(b'\x00\xff' * 3000)),
    'physfn escaping': lambda t, out: replace(
        t, 'sys/devices/pci0000:00/0000:00:01.0/0000:02:00.0/physfn',
        lambda p: p.symlink_to('../' * 6 + 'outside')),
    'physfn not a PCI function': lambda t, out: replace(
        t, 'sys/devices/pci0000:00/0000:00:01.0/0000:02:00.0/physfn',
        lambda p: p.symlink_to('../0000:00:01.0/../../pci0000:00')),
    'attributes link outside': lambda t, out: (
        replace(t, f'{VLAN}/uevent', lambda p: p.symlink_to(out / 'secret')),
        replace(t, f'{ENO1}/dev_port', lambda p: p.symlink_to('../' * 7 + 'outside/secret')),
        replace(t, 'sys/devices/pci0000:00/0000:00:01.0/0000:02:00.0/ari_enabled',
                lambda p: p.symlink_to(out / 'secret'))),
    'subsystem and driver absolute': lambda t, out: (
        replace(t, 'sys/devices/pci0000:00/0000:00:01.0/0000:02:00.0/subsystem',
                lambda p: p.symlink_to('/bus/virtio')),
        replace(t, 'sys/devices/pci0000:00/0000:00:01.0/0000:02:00.0/driver',
                lambda p: p.symlink_to(out))),
    '10^4 lower links': lambda t, out: [
        (t.path(VLAN) / f'lower_x{i}').symlink_to(f'../x{i}') for i in range(10000)],
}


# what each damage leaves: the VLANs stay VLANs of eno1 while their own links hold
UNKNOWN = {'class link absolute', 'class link escaping with ..', 'class link outside sys/devices',
           'class link loop', 'lower link escaping', 'lower links in a loop',
           'a middle directory links outside', '10^4 lower links'}


@pytest.mark.parametrize('damage', DAMAGE)
def test_a_hostile_tree_reads_nothing_outside_the_root(tmp_path, monkeypatch, damage):
    root = hostile(tmp_path, DAMAGE[damage])
    findings, outside = judge_watched(monkeypatch, root)
    assert outside == []
    assert findings[0].name == ('hardware-unknown' if damage in UNKNOWN else 'shared-port')


# -- --capture: the links and attributes read, links relative and inside ------------

def links_in(tree) -> dict:
    """{relpath: target} of every symlink under `tree`."""
    return {os.path.relpath(os.path.join(d, n), tree): os.readlink(os.path.join(d, n))
            for d, dirs, files in os.walk(tree) for n in dirs + files
            if os.path.islink(os.path.join(d, n))}


def assert_links_stay_inside(tree):
    for relpath, target in links_in(tree).items():
        assert not os.path.isabs(target), relpath
        resolved = os.path.normpath(os.path.join(os.path.dirname(relpath), target))
        assert not resolved.startswith('..'), (relpath, target)


@pytest.mark.parametrize('name', [name for name in CASES if name not in (
    'three slaves, one unknown', 'a single slave')])
def test_a_capture_replays_the_same_hardware_findings(tmp_path, name):
    sample, bond, expected = CASES[name]
    root = build(tmp_path / 'root', sample)
    capture(System(root), [bond], str(tmp_path / 'capture'))
    assert [(str(f.state), f.text) for f in
            hardware_findings(str(tmp_path / 'capture'), bond)] == expected
    assert_links_stay_inside(tmp_path / 'capture')


def test_a_capture_copies_class_links_verbatim_and_lists_what_is_not_supported(tmp_path):
    root = build(tmp_path / 'root', sriov_vfs_one_pf)
    (tmp_path / 'root' / 'sys/devices/pci0000:00/0000:00:02.0/0000:01:10.3/net/net1/'
     'phys_port_id').mkdir()  # reading it fails (EISDIR), like EOPNOTSUPP would
    skipped = capture(System(root), ['bond0'], str(tmp_path / 'capture'))
    links = links_in(tmp_path / 'capture')
    assert links['sys/class/net/net1'] == links_in(tmp_path / 'root')['sys/class/net/net1'] \
        == '../../devices/pci0000:00/0000:00:02.0/0000:01:10.3/net/net1'
    assert links['sys/devices/pci0000:00/0000:00:02.0/0000:01:10.3/physfn'] == '../0000:01:00.1'
    assert links['sys/devices/pci0000:00/0000:00:02.0/0000:01:10.3/driver'] == \
        '../../../../bus/pci/drivers/ixgbevf'
    net1 = tmp_path / 'capture/sys/devices/pci0000:00/0000:00:02.0/0000:01:10.3/net/net1'
    assert (net1 / 'operstate').read_text() == 'up\n'  # copied before, moved below the link
    assert (net1 / 'uevent').read_text() == 'INTERFACE=net1\nIFINDEX=2\n'
    assert 'sys/devices/pci0000:00/0000:00:02.0/0000:01:10.3/net/net1/phys_port_id: ' \
           'Is a directory' in skipped
    assert System(str(tmp_path / 'capture')).read_bond('bond0') == \
        System(root).read_bond('bond0')


@pytest.mark.parametrize('damage', DAMAGE)
def test_a_capture_of_a_hostile_tree_keeps_its_links_inside(tmp_path, damage):
    root = hostile(tmp_path, DAMAGE[damage])
    capture(System(root), ['bond0'], str(tmp_path / 'capture'))
    assert_links_stay_inside(tmp_path / 'capture')
    assert not (tmp_path / 'capture/secret').exists()


# -- the whole check: first line and -v lines --------------------------------------

def first_line_of(root, bond, findings):
    """WARNING: the finding's text; OK: the bond described as the check does."""
    warnings = [text for state, text in findings if state == W]
    if warnings:
        return f'BONDING WARNING - {bond}: {", ".join(warnings)}'
    parsed = System(root).read_bond(bond)
    n = len(parsed.slaves)
    active = f', active {parsed.active_slave}' if parsed.mode == 'active-backup' else ''
    return f'BONDING OK - {bond} {parsed.mode}{active}, {n}/{n} slaves up'


@pytest.mark.parametrize('name', [name for name in CASES if name != 'a single slave'])
def test_the_check_says_it_on_its_first_line_and_at_v(tmp_path, name):
    sample, bond, expected = CASES[name]
    root = build(tmp_path, sample)
    result = run_check(['--root', root, '--no-state', '-v', '-b', bond])
    assert result.code == (1 if any(state == W for state, _ in expected) else 0), result.output
    assert result.first_line == first_line_of(root, bond, expected)
    lines = [f'  {state}: {text}' for state, text in expected]
    assert '\n'.join(lines) in result.output, result.output


def test_a_one_card_design_is_accepted_with_state(tmp_path):
    root = build(tmp_path, two_cards_ok)
    shared = build(tmp_path / 'e810', e810)
    result = run_check(['--root', shared, '--no-state', '--state', 'shared-nic=ok', '-v'])
    assert result.code == 0
    assert result.first_line == 'BONDING OK - bond0 802.3ad, 2/2 slaves up'
    assert '  ok: enp162s0f0np0 and enp162s0f1np1 are ports of one NIC (PCI 0000:a2:00.0/.1): ' \
           'a card failure takes both\n' in result.output
    assert run_check(['--root', root, '--no-state']).code == 0
    one_bond = run_check(['--root', shared, '--no-state', '--state', 'bond7=shared-nic=ok'])
    assert one_bond.code == 1  # another bond's override does not apply


def test_older_captures_gain_a_note_and_nothing_else():
    """examples/going-back was captured before --capture kept device links."""
    result = run_check(['--root', EXAMPLES / 'going-back', '--no-state', '-v'])
    assert result.output.splitlines()[:5] == [
        'BONDING WARNING - bond0: eth0 going back',
        'bond0: warning - bond0 active-backup, active eth1, 1/2 slaves up',
        '  warning: eth0 going back',
        '  ok: active eth1 while primary eth0 is not up',
        '  ok: hardware of eth0 and eth1 unknown (no device link in this tree)']
    assert result.output.splitlines()[5].startswith('| ')


def test_the_kernel_fixtures_know_their_veths():
    """The fixtures captured from the real driver keep the class/net links."""
    result = run_check(['--root', FIXTURES / 'ab-healthy', '--no-state', '-v'])
    assert '\n  ok: eth0 and eth1 are virtual devices (veth): no hardware to compare\n' \
        in result.output


SAMPLES = (vlans_one_nic, sriov_vfs_one_pf, e810, usb, two_plus_two, pre_3_13, macvlans_one_nic)
BREAKS = ('absolute link outside', 'link escaping with ..', 'link to a directory outside',
          'self loop', 'FIFO', 'garbage', 'empty directory', 'gone')


def break_entry(path, how, outside):
    if path.is_symlink() or path.is_file() or path.is_fifo():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    depth = len(path.relative_to(outside.parent / 'root').parts) - 1
    make = {
        'absolute link outside': lambda: path.symlink_to(outside / 'secret'),
        'link escaping with ..': lambda: path.symlink_to('../' * (depth + 1) + 'outside/secret'),
        'link to a directory outside': lambda: path.symlink_to(
            '../' * (depth + 1) + 'outside/sys/devices/pci0000:00'),
        'self loop': lambda: path.symlink_to(path.name),
        'FIFO': lambda: os.mkfifo(path),
        'garbage': lambda: path.write_bytes(b'\x00\xff../../etc\n' * 50),
        'empty directory': lambda: path.mkdir(),
        'gone': lambda: None,
    }
    make[how]()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), st.data())
def test_any_broken_entry_gives_no_traceback_and_reads_nothing_outside(sample, data):
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        base = Path(tmp)
        outside = outside_tree(base)
        tree = Tree(base / 'root')
        sample(tree)
        entries = sorted(p for p in (base / 'root/sys').rglob('*')
                         if p.name != 'bonding_masters')
        for _ in range(data.draw(st.integers(1, 4))):
            entries = [p for p in entries if p.exists() or p.is_symlink()]
            path = data.draw(st.sampled_from(entries))
            break_entry(path, data.draw(st.sampled_from(BREAKS)), outside)
        root = str(base / 'root')
        findings, outside_reads = judge_watched(patch, root)
        assert outside_reads == []
        result = run_check(['--root', root, '--no-state', '-v'])
    assert FIRST_LINE.fullmatch(result.first_line), result.output
    assert result.code in (0, 1, 2, 3) and 'Traceback' not in result.output


# -- cost: a few syscalls per slave, each interface read once ------------------------

def pci_host(t, bonds=32):
    """`bonds` 802.3ad bonds, each over both ports of two X710 cards."""
    for b in range(bonds):
        names = []
        for card in (2 * b, 2 * b + 1):
            x710(t, card, '00', f'0000:00:{card // 8:02x}.{card % 8}', f'{card + 1:02x}')
            names += [f'p{card}p1', f'p{card}p2']
        t.bond(f'bond{b}', names, mode='802.3ad')


def test_a_slave_costs_a_few_syscalls(tmp_path, monkeypatch):
    system = System(build(tmp_path, pci_host))
    bonds = [system.read_bond(f'bond{b}') for b in range(32)]
    watch = Accesses(monkeypatch)
    resolved = []
    monkeypatch.setattr(os.path, 'realpath', lambda path, real=os.path.realpath: (
        resolved.append(path), real(path))[1])
    hardware = Hardware(system)
    notes = [shared_hardware.judge(hardware.facts(bond)) for bond in bonds]
    per_slave = len(watch.seen) / 128
    assert notes[5][0].text == ('p10p1 and p10p2 share NIC 0000:0b:00.0, p11p1 and p11p2 share '
                                'NIC 0000:0c:00.0: no single card carries all 4')
    assert per_slave <= 10  # opens (each + read + close), readlinks, listings: ~15 syscalls
    assert len(resolved) <= 2 * 128 + 2  # under --root: the net and the device directory
    assert len({path for _, path, _ in watch.seen}) == len(watch.seen)  # nothing read twice
