"""The hardware check's judgement (shared_hardware.py, hardware_notes.py,
hardware_elements.py) on trees modelled on real NICs (tests/hwsamples.py): the
finding or the -v notes of every sample, the check's first line, --state, and
that judging reads nothing (plugin.BondResource.probe read every fact)."""

import builtins
import os
from contextlib import contextmanager

import pytest

from check_bonding import shared_hardware
from check_bonding.contexts import contexts
from check_bonding.findings import FINDINGS
from check_bonding.hardware import Hardware
from check_bonding.options import parse_args
from check_bonding.plugin import BondResource, expectation
from check_bonding.system import System
from helpers import run_check
from hwsamples import (build, e810, i350, loms, macvlans_of_another_namespace,
                       macvlans_one_nic, mlx4_one_function,
                       mlx4_vfs_on_two_ports, npar, old_capture, orphan_vfs, pcie_switch,
                       pf_and_its_vf, plain_layout, platform_one_device, pre_3_13,
                       sriov_vfs_one_pf, six_on_one_card, split_ports, tap_and_dummy,
                       three_one_unknown, two_cards_ok, two_plus_two, uml_netdevs, usb, veths,
                       vf_lag, vfs_of_two_pfs, vlan_over_bond, vlans_one_nic, vm_virtio)

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
        ('ok', 'eth0 and eth1 are virtual devices (veth, or stacked on an interface in another '
               'namespace): no hardware to compare')]),
    "macvlans of another namespace's NIC are not called veths": (
        macvlans_of_another_namespace, 'bond0', [
            ('ok', 'mv0 and mv1 are virtual devices (veth, or stacked on an interface in '
                   'another namespace): no hardware to compare')]),
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


def hardware_findings(root, bond):
    system = System(root)
    parsed = system.read_bond(bond)
    return shared_hardware.judge(parsed, Hardware(system).facts(parsed))


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


# -- judging reads nothing: probe() read every fact ---------------------------------

@contextmanager
def refusing_reads(monkeypatch):
    """Inside, any file, link or directory access raises (and fails the test)."""
    def refused(*args, **kwargs):
        raise AssertionError(f'read while judging: {args}')
    try:
        for name in ('open', 'readlink', 'scandir', 'listdir', 'stat', 'lstat'):
            monkeypatch.setattr(os, name, refused)
        monkeypatch.setattr(os.path, 'realpath', refused)
        monkeypatch.setattr(builtins, 'open', refused)
        yield
    finally:
        monkeypatch.undo()  # before pytest reads source files to report a failure


@pytest.mark.parametrize('name', CASES)
def test_judging_reads_nothing(tmp_path, monkeypatch, name):
    sample, bond, expected = CASES[name]
    system = System(build(tmp_path, sample))
    parsed = system.read_bond(bond)
    stands = Hardware(system).facts(parsed)
    with refusing_reads(monkeypatch):
        findings = shared_hardware.judge(parsed, stands)
    assert [(str(f.state), f.text) for f in findings] == expected


def test_the_hardware_context_judges_what_probe_read(tmp_path, monkeypatch):
    root = build(tmp_path, e810)
    options = parse_args(['--root', root, '--no-state'])
    resource = BondResource(System(root), 'bond0', expectation(options, 'bond0'))
    metric = next(m for m in resource.probe() if m.context == 'hardware')
    context = next(c for c in contexts(options) if c.name == 'hardware')
    with refusing_reads(monkeypatch):
        result = context.evaluate(metric, resource)
    assert [s.name for s in metric.value] == ['enp162s0f0np0', 'enp162s0f1np1']
    assert [f.name for f in result.findings] == ['shared-nic', 'lacp-one-partner']


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
