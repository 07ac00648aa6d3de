"""What each slave stands on (hardware.py, read through sysfs.py) on trees
modelled on real NICs (tests/hwsamples.py): the Stands and the facts read for a
bond, hostile trees, --capture, and what it costs. The judgement of those facts
is tested in tests/test_shared_hardware.py."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from check_bonding import shared_hardware
from check_bonding.capture import capture
from check_bonding.hardware import Hardware
from check_bonding.system import System
from helpers import EXAMPLES, FIXTURES, run_check
from hwsamples import (ICE_SWITCH, build, e810, i350, macvlans_one_nic, mlx4_one_function,
                       old_capture, orphan_vfs, pci_host, pre_3_13, split_ports,
                       sriov_vfs_one_pf, tap_and_dummy, two_cards_ok, two_plus_two, usb, veths,
                       vf_lag, vlans_one_nic, vm_virtio)
from hwtree import Tree
from test_hostile import FIRST_LINE
from test_shared_hardware import CASES, hardware_findings


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


def bond_facts(tmp_path, sample, bond='bond0'):
    system = System(build(tmp_path, sample))
    return Hardware(system).facts(system.read_bond(bond))


def test_the_facts_carry_what_the_rules_compare(tmp_path):
    mlx4 = bond_facts(tmp_path / 'mlx4', mlx4_one_function)
    assert [(s.dev_port, s.dev_id, s.phys_port_id, s.card) for s in mlx4] == [
        ('0', '0x0', '0002c90300a1b2c1', '0000:04:00'),
        ('1', '0x1', '0002c90300a1b2c2', '0000:04:00')]
    ice = bond_facts(tmp_path / 'e810', e810)
    assert [(s.card, s.phys_switch_id, s.phys_port_name, s.dev_port) for s in ice] == [
        ('0000:a2', ICE_SWITCH, 'p0', None), ('0000:a2', ICE_SWITCH, 'p1', None)]
    split = bond_facts(tmp_path / 'split', split_ports)
    assert [s.phys_port_name for s in split] == ['p1s0', 'p1s1']
    lag = bond_facts(tmp_path / 'lag', vf_lag)
    assert [s.pf_enslaved for s in lag] == [('enp1s0f0np0',)] * 2
    pod = bond_facts(tmp_path / 'pod', sriov_vfs_one_pf)
    assert [(s.vf, s.pf_enslaved, s.dev_port) for s in pod] == [(True, (), None)] * 2
    # port numbers only where another slave shares the PCI function: each card its own here
    cards = bond_facts(tmp_path / 'cards', two_cards_ok)
    assert [(s.card, s.dev_port, s.phys_port_name) for s in cards] == [
        ('0000:3b:00', None, None), ('0000:5e:00', None, None)]


def test_a_single_slave_is_not_read(tmp_path, monkeypatch):
    system = System(build(tmp_path, lambda t: (t.netdev('eno1', i350(t)),
                                               t.bond('bond0', ['eno1']))))
    bond = system.read_bond('bond0')
    watch = Accesses(monkeypatch)
    assert (Hardware(system).facts(bond), watch.seen) == ((), [])


def test_a_bond_whose_sysfs_is_another_interface_is_not_read(tmp_path, monkeypatch):
    """sysfs of another network namespace: its devices are not this bond's slaves'."""
    tree = Tree(tmp_path)
    two_cards_ok(tree)
    tree.write('sys/devices/virtual/net/bond0/bonding/slaves', 'eth7 eth8\n')
    system = System(str(tmp_path))
    bond = system.read_bond('bond0')
    assert bond.sysfs_elsewhere
    watch = Accesses(monkeypatch)
    assert (Hardware(system).facts(bond), watch.seen) == ((), [])
    monkeypatch.undo()
    output = run_check(['--root', tmp_path, '--no-state', '-v', '-b', 'bond0']).output
    assert 'sysfs shows another bond0' in output and 'separate hardware' not in output


@pytest.mark.parametrize('sample', [vm_virtio, orphan_vfs, veths, tap_and_dummy, old_capture])
def test_slaves_that_cannot_be_judged_cost_nothing_beyond_their_stands(tmp_path, monkeypatch,
                                                                        sample):
    """A host of VMs or veths reads what it read before the facts moved into probe()."""
    system = System(build(tmp_path, sample))
    bond = system.read_bond('bond0')
    watch = Accesses(monkeypatch)
    hardware = Hardware(system)
    stands = tuple(hardware.stand(s.name, 'bond0') for s in bond.slaves)
    read = len(watch.seen)
    assert hardware.facts(bond) == stands
    assert len(watch.seen) == read


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
    findings = shared_hardware.judge(parsed, Hardware(system).facts(parsed))
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
# ten thousand symlinks take seconds to make and to copy: the fast lane leaves them out
DAMAGES = [pytest.param(d, marks=pytest.mark.slow) if d == '10^4 lower links' else d
           for d in DAMAGE]


@pytest.mark.parametrize('damage', DAMAGES)
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


@pytest.mark.parametrize('damage', DAMAGES)
def test_a_capture_of_a_hostile_tree_keeps_its_links_inside(tmp_path, damage):
    root = hostile(tmp_path, DAMAGE[damage])
    capture(System(root), ['bond0'], str(tmp_path / 'capture'))
    assert_links_stay_inside(tmp_path / 'capture')
    assert not (tmp_path / 'capture/secret').exists()


# -- captured trees: older ones, and the real driver's ------------------------------

def test_older_captures_gain_a_note_and_nothing_else():
    """examples/going-back was captured before --capture kept device links."""
    result = run_check(['--root', EXAMPLES / 'going-back', '--no-state', '-v'])
    assert result.output.splitlines()[:5] == [
        'BONDING WARNING - bond0: eth0 going back',
        'bond0: warning - bond0 active-backup, active eth1, 1/2 slaves up',
        '  warning: eth0 going back',
        '  ok: active eth1 while primary eth0 is not up',
        '  ok: hardware of eth0 and eth1 unknown (no device link in this tree)']
    assert result.output.splitlines()[5].startswith('  ok: which switch each slave reaches is '
                                                    'not known: lldpd is not running')
    assert result.output.splitlines()[6].startswith('| ')


def test_the_kernel_fixtures_know_their_veths():
    """The fixtures captured from the real driver keep the class/net links."""
    result = run_check(['--root', FIXTURES / 'ab-healthy', '--no-state', '-v'])
    assert ('\n  ok: eth0 and eth1 are virtual devices (veth, or stacked on an interface in '
            'another namespace): no hardware to compare\n') in result.output


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


@pytest.mark.slow  # 40 whole reads of damaged trees, seconds
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
            if not entries:  # 'gone' took sys/class and sys/devices: nothing left to break
                break
            path = data.draw(st.sampled_from(entries))
            break_entry(path, data.draw(st.sampled_from(BREAKS)), outside)
        root = str(base / 'root')
        findings, outside_reads = judge_watched(patch, root)
        assert outside_reads == []
        result = run_check(['--root', root, '--no-state', '-v'])
    assert FIRST_LINE.fullmatch(result.first_line), result.output
    assert result.code in (0, 1, 2, 3) and 'Traceback' not in result.output


# -- cost: a few syscalls per slave, each interface read once ------------------------

def test_a_slave_costs_a_few_syscalls(tmp_path, monkeypatch):
    system = System(build(tmp_path, pci_host))
    bonds = [system.read_bond(f'bond{b}') for b in range(32)]
    watch = Accesses(monkeypatch)
    resolved = []
    monkeypatch.setattr(os.path, 'realpath', lambda path, real=os.path.realpath: (
        resolved.append(path), real(path))[1])
    hardware = Hardware(system)
    notes = [shared_hardware.judge(bond, hardware.facts(bond)) for bond in bonds]
    per_slave = len(watch.seen) / 128
    assert notes[5][0].text == ('p10p1 and p10p2 share NIC 0000:0b:00.0, p11p1 and p11p2 share '
                                'NIC 0000:0c:00.0: no single card carries all 4')
    assert per_slave <= 10  # opens (each + read + close), readlinks, listings: ~15 syscalls
    assert len(resolved) <= 2 * 128 + 2  # under --root: the net and the device directory
    assert len({path for _, path, _ in watch.seen}) == len(watch.seen)  # nothing read twice
