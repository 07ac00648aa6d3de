"""Reading a system under --root: discovery, sysfs fill-in, odd files, capture."""
import os

import pytest

from check_bonding.capture import CaptureTree, capture
from check_bonding.parse import Bond
from check_bonding.system import System
from helpers import EXAMPLES

SEED = EXAMPLES / 'seed-failover'
NET_DEV = '''Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs \
drop fifo colls carrier compressed
  eth0: 1000 10 7 0 0 0 0 0 2000 20 3 0 0 0 0 0
  eth1: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0
'''


def write(root, relpath, text):
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_discovery_from_proc_where_the_data_is_then_bonding_masters(tmp_path):
    write(tmp_path, 'sys/class/net/bonding_masters', 'bond0 uplink ../etc\n')
    assert System(str(tmp_path)).bond_names() == (['bond0', 'uplink'], [])
    write(tmp_path, 'proc/net/bonding/bond1', '')
    write(tmp_path, 'proc/net/bonding/bond0', '')
    names, notes = System(str(tmp_path)).bond_names()
    assert names == ['bond0', 'bond1']
    assert [(n.name, n.text) for n in notes] == [('bond-list-mismatch', (
        'sysfs bonding_masters lists uplink, which /proc/net/bonding does not show (sysfs of '
        'another network namespace?): not checked'))]


def test_names_split_on_ascii_whitespace_only_and_keep_their_bytes(tmp_path):
    (tmp_path / 'sys/class/net').mkdir(parents=True)
    (tmp_path / 'sys/class/net/bonding_masters').write_bytes(b'em\xe2\x80\x83sp x\xff\n')
    assert System(str(tmp_path)).bond_names() == (['em\u2003sp', 'x\udcff'], [])


def test_missing_bond_is_none_not_an_error(tmp_path):
    assert System(str(tmp_path)).read_bond('bond0') is None


def test_unprivileged_802_3ad_view_is_completed_from_sysfs(tmp_path):
    write(tmp_path, 'proc/net/bonding/bond0', 'Bonding Mode: IEEE 802.3ad Dynamic link '
          'aggregation\nMII Status: up\n\n802.3ad info\nLACP rate: fast\n\n'
          'Slave Interface: eth0\nMII Status: up\nSpeed: 10000 Mbps\nDuplex: full\n')
    write(tmp_path, 'sys/class/net/bond0/bonding/ad_aggregator', '')  # hidden: empty
    write(tmp_path, 'sys/class/net/eth0/bonding_slave/ad_aggregator_id', '3\n')
    write(tmp_path, 'sys/class/net/eth0/bonding_slave/ad_actor_oper_port_state', '61\n')
    write(tmp_path, 'sys/class/net/eth0/bonding_slave/ad_partner_oper_port_state', '1\n')
    bond = System(str(tmp_path)).read_bond('bond0')
    assert bond.aggregator is None
    eth0 = bond.slave('eth0')
    assert (eth0.aggregator_id, eth0.actor_port_state, eth0.partner_port_state) == (3, 61, 1)


def test_old_driver_gets_speed_and_duplex_from_sysfs_and_einval_is_data(tmp_path):
    write(tmp_path, 'proc/net/bonding/bond0', (EXAMPLES / 'seed-failover/proc/net/bonding/'
                                               'bond1').read_text())
    write(tmp_path, 'sys/class/net/eth2/speed', '1000\n')
    write(tmp_path, 'sys/class/net/eth2/duplex', 'full\n')
    bond = System(str(tmp_path)).read_bond('bond0')
    assert [(s.speed, s.duplex) for s in bond.slaves] == [(1000, 'full'), (None, None)]


def test_a_fifo_in_place_of_a_file_does_not_hang(tmp_path):
    (tmp_path / 'sys/class/net').mkdir(parents=True)
    os.mkfifo(tmp_path / 'sys/class/net/bonding_masters')
    assert System(str(tmp_path)).bond_names() == ([], [])


def test_reads_are_bounded(tmp_path):
    write(tmp_path, 'sys/class/net/bonding_masters', 'bond0 ' * 100000)
    assert len(System(str(tmp_path)).read('sys/class/net/bonding_masters')) == 4096


def test_interface_counters_come_from_the_roots_proc(tmp_path):
    write(tmp_path, 'proc/net/dev', NET_DEV)
    counters = System(str(tmp_path)).counters()
    assert (counters['eth0'].errin, counters['eth0'].errout) == (7, 3)


def test_capture_writes_a_tree_that_replays_the_same(tmp_path):
    target = tmp_path / 'capture'
    skipped = capture(System(str(SEED)), ['bond0', 'bond1'], str(target))
    assert 'sys/class/net/eth0/carrier: No such file or directory' in skipped
    for bond in ('bond0', 'bond1'):
        assert System(str(target)).read_bond(bond) == System(str(SEED)).read_bond(bond)
    assert isinstance(System(str(target)).read_bond('bond0'), Bond)


def test_capture_into_a_prepared_directory_is_refused_and_writes_nothing_outside(tmp_path):
    """Another user may have made DIR first (the README suggests /tmp), with
    sys/class/net/eth0 -> elsewhere: nothing may be written there."""
    victim = tmp_path / 'victim'
    victim.mkdir()
    prepared = tmp_path / 'prepared'
    (prepared / 'sys/class/net').mkdir(parents=True)
    (prepared / 'sys/class/net/eth0').symlink_to(victim)
    with pytest.raises(OSError, match='not a new or empty directory of your own'):
        capture(System(str(SEED)), ['bond0'], str(prepared))
    (tmp_path / 'link').symlink_to(victim)
    with pytest.raises(OSError, match='not a symlink'):
        capture(System(str(SEED)), ['bond0'], str(tmp_path / 'link'))
    assert list(victim.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason='needs root to chown')
def test_capture_into_an_empty_directory_of_another_user_is_refused(tmp_path):
    foreign = tmp_path / 'foreign'
    foreign.mkdir()
    os.chown(foreign, 65534, 65534)
    with pytest.raises(OSError, match='not a new or empty directory of your own'):
        capture(System(str(SEED)), ['bond0'], str(foreign))
    assert list(foreign.iterdir()) == []


def test_capture_tree_never_follows_a_symlink_inside(tmp_path):
    """Even if a symlink appears inside the capture while it is written."""
    victim = tmp_path / 'victim'
    victim.mkdir()
    tree = CaptureTree(str(tmp_path / 'cap'))
    try:
        tree.write_file('sys/class/net/bonding_masters', 'bond0\n')
        (tmp_path / 'cap/sys/class/net/eth0').symlink_to(victim)
        with pytest.raises(OSError):
            tree.write_file('sys/class/net/eth0/carrier', '1\n')
        with pytest.raises(OSError):
            tree.write_file('sys/class/../../escape', 'x')
        tree.write_link('sys/class/net/eth1', '../../devices/virtual/net/eth1')
    finally:
        tree.close()
    assert list(victim.iterdir()) == [] and not (tmp_path / 'escape').exists()
    assert os.readlink(tmp_path / 'cap/sys/class/net/eth1') == '../../devices/virtual/net/eth1'
