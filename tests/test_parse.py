"""The proc parser on samples of every driver generation and mode."""

import pytest

from check_bonding.parse import mode_name, parse_proc, port_state_flags, speed_of, split_line

from helpers import FIXTURES, SAMPLES


def sample(name):
    return parse_proc('bond0', (SAMPLES / name).read_text())


def test_v3_2_4_without_primary_speed_or_duplex():
    bond = sample('v3.2.4-active-backup.txt')
    assert bond.driver.startswith('v3.2.4')
    assert (bond.mode, bond.primary, bond.active_slave) == ('active-backup', None, 'eth1')
    assert [(s.name, s.mii_status, s.link_failures) for s in bond.slaves] == [
        ('eth0', 'down', 1), ('eth1', 'up', 0)]
    assert bond.slaves[0].speed is None and bond.slaves[0].duplex is None


def test_seed_v3_4_0_primary_with_reselect_suffix():
    bond = sample('v3.4.0-active-backup.txt')
    assert (bond.primary, bond.primary_reselect) == ('eth2', 'always')
    assert (bond.miimon, bond.updelay, bond.downdelay) == (100, 5000, 0)
    assert [s.perm_hwaddr for s in bond.slaves] == ['00:1b:21:3a:5c:12', '00:1b:21:3a:5c:13']


def test_v3_5_0_802_3ad_active_aggregator():
    bond = sample('v3.5.0-802.3ad.txt')
    assert bond.mode == '802.3ad' and bond.xmit_hash_policy == 'layer2'
    assert (bond.lacp_rate, bond.ad_select) == ('slow', 'stable')
    agg = bond.aggregator
    assert (agg.id, agg.ports, agg.actor_key, agg.partner_key, agg.partner_mac) == (
        1, 2, 17, 32, '00:1c:0e:82:3a:00')
    assert [s.aggregator_id for s in bond.slaves] == [1, 1]


def test_v3_6_0_speed_duplex_and_reselect_failure():
    bond = sample('v3.6.0-active-backup.txt')
    assert bond.primary_reselect == 'failure'
    assert [(s.speed, s.duplex, s.queue_id) for s in bond.slaves] == [
        (1000, 'full', 0), (1000, 'full', 0)]


def test_v3_7_1_lacp_pdu_details_privileged():
    bond = sample('v3.7.1-802.3ad-privileged.txt')
    first, second = bond.slaves
    assert bond.system_mac == '52:54:00:12:34:56' and bond.min_links == 0
    assert (first.actor_port_state, first.partner_port_state) == (63, 61)
    assert first.partner_mac == '00:23:04:ee:be:01'
    assert (second.aggregator_id, second.actor_churn, second.partner_churn) == (2, 'churned',
                                                                                 'churned')
    assert 'defaulted' in port_state_flags(second.actor_port_state)


def test_unknown_speed_going_down_and_xor():
    bond = sample('v3.7.1-balance-xor-unknown-speed.txt')
    assert bond.mode == 'balance-xor' and bond.miimon == 0
    assert [(s.speed, s.duplex, s.mii_status) for s in bond.slaves] == [
        (0, None, 'up'), (100, 'half', 'going down')]
    assert [s.name for s in bond.slaves_up] == ['eth0']


def test_kernel_release_version_fail_over_mac_arp_targets_going_back():
    bond = sample('v6.1-active-backup-arp.txt')
    assert bond.driver == '6.1.0-27-amd64'
    assert (bond.mode, bond.fail_over_mac) == ('active-backup', 'active')
    assert (bond.arp_interval, bond.arp_targets) == (1000, ('10.0.0.1', '10.0.0.254'))
    assert bond.slave('eno2').mii_status == 'going back'


def test_no_active_aggregator_and_aggregator_na():
    bond = parse_proc('bond2', (SAMPLES / 'v6.1-802.3ad-no-aggregator.txt').read_text())
    assert bond.no_active_aggregator and bond.aggregator is None
    assert bond.mii_status == 'down'
    assert bond.slaves[0].aggregator_id is None and bond.slaves[0].duplex is None


@pytest.mark.parametrize('text, expected', [
    ('1', 'active-backup'), ('4', '802.3ad'), ('balance-alb', 'balance-alb'),
    ('transmit load balancing', 'balance-tlb'), ('7', None), ('bogus', None), (None, None)])
def test_mode_names(text, expected):
    assert mode_name(text) == expected


@pytest.mark.parametrize('text, expected', [
    ('1000 Mbps', 1000), ('Unknown', 0), ('-1', 0), ('65535 Mbps', 0), (None, None)])
def test_speed_of(text, expected):
    assert speed_of(text) == expected


def test_lacp_port_state_bits():
    assert port_state_flags(0x3d) == ['activity', 'aggregation', 'synchronization',
                                      'collecting', 'distributing']
    assert port_state_flags(0x47) == ['activity', 'timeout', 'aggregation', 'defaulted']
    assert port_state_flags(None) == []


def test_unknown_lines_duplicates_and_garbage_are_not_fatal():
    text = ('Bonding Mode: something new\nFrobnication: 7\nno colon here\n'
            'Slave Interface: eth0\nMII Status: up\nLink Failure Count: x\n'
            'Slave Interface: eth0\nLink Failure Count: 5\r\n')
    bond = parse_proc('b', text)
    assert bond.mode == 'something new'
    assert [(s.name, s.mii_status, s.link_failures) for s in bond.slaves] == [('eth0', 'up', 5)]


def test_lacp_pdu_details_count_only_inside_a_slave():
    assert parse_proc('b', 'details partner lacp pdu:\n    port state: 1\n').slaves == ()
    bond = parse_proc('b', 'Slave Interface: eth0\ndetails partner lacp pdu:\n  port state: 1\n')
    assert bond.slave('eth0').partner_port_state == 1


def test_keys_with_colons_are_read_whole():
    """IPv6 NS targets: the IPv6 target line's key holds '::'; values hold colons too."""
    text = (FIXTURES / 'arp-ns6-targets/proc/net/bonding/bond0').read_text()
    bond = parse_proc('bond0', text)
    assert (bond.arp_interval, bond.arp_missed_max, bond.arp_targets, bond.ns_targets) == (
        100, 10, (), ('fd00::1',))
    assert parse_proc('bond0', text.replace('fd00::1', 'fd00::1, 2001:db8::5')).ns_targets == (
        'fd00::1', '2001:db8::5')
    assert parse_proc('bond0', text.replace(': fd00::1', ':')).ns_targets == ()
    assert parse_proc('bond0', 'MII Status: up\n').ns_targets is None  # no such line: not shown
    assert split_line('Partner Mac Address: 00:11:22:33:44:55')[::2] == (
        'Partner Mac Address', '00:11:22:33:44:55')
    assert split_line('MII Status:up')[::2] == ('MII Status', 'up')
    assert not split_line('no colon here')[1]
