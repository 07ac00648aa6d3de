"""--config-drift as the tools that bring the bond up read their files.

Each test is a configuration a tool accepts or refuses in its own way, over
a real-driver capture (fixtures/ab-healthy: bond0 active-backup, miimon 100,
primary eth0, slaves eth0 52:54:00:00:00:00 and eth1 ...:01), and what the
first line must say. The rules come from the tools and are checked against
them in tests/oracle/ (live) and test_drift_oracle_recorded.py (recorded).
"""
import shutil

import pytest

from check_bonding import drift
from check_bonding.drift import netplan, nmbond
from helpers import FIXTURES, run_check

needs_yaml = pytest.mark.skipif(not netplan.available(), reason='PyYAML (python3-yaml) is not '
                                'installed: netplan trees cannot be read')
WANTS = 'etc/systemd/system/multi-user.target.wants'
NETWORKD = {f'{WANTS}/systemd-networkd.service': '-> /lib/systemd/system/systemd-networkd.service'}
NETPLAN = {'usr/lib/systemd/system-generators/netplan': '#!/bin/sh\n'}
IFUPDOWN = {f'{WANTS}/networking.service': '-> /lib/systemd/system/networking.service'}
NM = {f'{WANTS}/NetworkManager.service': '-> /lib/systemd/system/NetworkManager.service'}
NETDEV = ('[NetDev]\nName=bond0\nKind=bond\n\n[Bond]\nMode=active-backup\n'
          'MIIMonitorSec=100ms\n')


def system(tmp_path, files: dict, capture: str = 'ab-healthy'):
    """The captured bond with `files` as its configuration ('-> target': a link)."""
    root = tmp_path / 'root'
    for part in ('proc', 'sys'):
        shutil.copytree(FIXTURES / capture / part, root / part, symlinks=True)
    for relpath, text in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if text.startswith('-> '):
            path.symlink_to(text[3:])
        else:
            path.write_text(text)
            path.chmod(0o600 if relpath.endswith(('.yaml', '.nmconnection')) else 0o644)
    return root


def check(root, *argv):
    return run_check(['--root', root, '--config-drift', '--no-state', *argv])


def netplan_bond(*params, members='[eth0, eth1]', ethernets='eth0: {}\n    eth1: {}'):
    lines = ''.join(f'        {p}\n' for p in params)
    return (f'network:\n  version: 2\n  ethernets:\n    {ethernets}\n  bonds:\n    bond0:\n'
            f'      interfaces: {members}\n      parameters:\n{lines}')


# 1. A file its tool reads but the plugin will not read fully: UNKNOWN, never "absent"

@needs_yaml
def test_a_netplan_yaml_alias_makes_the_bond_unknown_not_unconfigured(tmp_path):
    text = netplan_bond('mode: active-backup', 'mii-monitor-interval: 100', 'primary: eth0',
                        ethernets='eth0: &port {}\n    eth1: *port')
    result = check(system(tmp_path, {**NETPLAN, 'etc/netplan/50-bond.yaml': text}))
    assert result.code == 3, result.output
    assert result.first_line.startswith(
        'BONDING UNKNOWN - cannot read /etc/netplan/50-bond.yaml fully: line 5: YAML alias '
        'refused (netplan reads it); the bonds it may define are not compared')
    assert 'no network configuration' not in result.output


def test_interfaces_over_the_size_cap_makes_the_bond_unknown(tmp_path):
    text = 'auto bond0\niface bond0 inet manual\n    bond-slaves eth0 eth1\n' + \
        '# padding\n' * 30000
    result = check(system(tmp_path, {**IFUPDOWN, 'etc/network/interfaces': text,
                                     'etc/network/if-pre-up.d/ifenslave': '#!/bin/sh\n'}))
    assert result.code == 3, result.output
    assert 'cannot read /etc/network/interfaces fully: larger than 256 KiB' in result.first_line
    assert 'no network configuration' not in result.output


IFUPDOWN_BOND = ('auto bond0\niface bond0 inet manual\n    bond-slaves eth0 eth1\n'
                 '    bond-mode active-backup\n    bond-miimon 100\n    bond-primary eth0\n')


def test_an_over_long_comment_line_is_read_past_as_ifupdown_reads_it(tmp_path):
    text = IFUPDOWN_BOND + '#' + '-' * 4999 + '\n' + '  # ' + 'x' * 5000 + '\n'
    result = check(system(tmp_path, {**IFUPDOWN, 'etc/network/interfaces': text,
                                     'etc/network/if-pre-up.d/ifenslave': '#!/bin/sh\n'}), '-v')
    assert result.code == 0, result.output
    assert 'ok: matches /etc/network/interfaces (ifupdown (ifenslave))' in result.output


def test_one_over_long_line_that_is_no_comment_makes_the_file_unknown(tmp_path):
    text = IFUPDOWN_BOND + '    bond-downdelay ' + '0' * 5000 + '\n'
    result = check(system(tmp_path, {**IFUPDOWN, 'etc/network/interfaces': text,
                                     'etc/network/if-pre-up.d/ifenslave': '#!/bin/sh\n'}))
    assert result.code == 3, result.output
    assert result.first_line.startswith('BONDING UNKNOWN - cannot read /etc/network/interfaces '
                                        'fully: 1 line over 4096 characters; the bonds it may '
                                        'define are not compared'), result.output


def assert_networkd_matches(tmp_path, files):
    """OK, and the -v note that the running bond matches networkd's files."""
    result = check(system(tmp_path, {**NETWORKD, **files}), '-v')
    assert result.code == 0, result.output
    assert 'ok: matches /etc/systemd/network/10-bond0.netdev (systemd-networkd)' in result.output


def test_a_networkd_semicolon_comment_line_is_no_line_over_the_cap(tmp_path):
    assert_networkd_matches(tmp_path, {
        'etc/systemd/network/10-bond0.netdev': ';' + 'x' * 5000 + '\n' + NETDEV,
        'etc/systemd/network/20-eth.network':
        '[Match]\nName=eth0\n\n[Network]\nBond=bond0\nPrimarySlave=yes\n',
        'etc/systemd/network/21-eth.network': '[Match]\nName=eth1\n\n[Network]\nBond=bond0\n'})


# 2. systemd-networkd members matched by MAC, as networkd matches them

def test_networkd_primary_slave_matched_by_permanent_mac(tmp_path):
    assert_networkd_matches(tmp_path, {
        'etc/systemd/network/10-bond0.netdev': NETDEV,
        'etc/systemd/network/20-a.network': '[Match]\nPermanentMACAddress=52:54:00:00:00:00\n\n'
                                             '[Network]\nBond=bond0\nPrimarySlave=yes\n',
        'etc/systemd/network/20-b.network':
        '[Match]\nMACAddress=52:54:00:00:00:01\n\n[Network]\nBond=bond0\n'})


def test_networkd_an_earlier_catch_all_takes_a_slave_first(tmp_path):
    root = system(tmp_path, {**NETWORKD, 'etc/systemd/network/10-bond0.netdev': NETDEV,
                             'etc/systemd/network/05-all.network':
                             '[Match]\nMACAddress=52:54:00:00:00:01\n\n[Network]\nDHCP=yes\n',
                             'etc/systemd/network/20-members.network':
                             '[Match]\nName=eth*\n\n[Network]\nBond=bond0\n'})
    result = check(root)
    assert result.code == 1
    assert ('bond0: eth1 enslaved but in no configuration (/etc/systemd/network/05-all.network '
            'matches it first)') in result.first_line


# 3. ifupdown2 is not ifupdown: its rules where it is the one installed

IFUPDOWN2 = {**IFUPDOWN, 'usr/sbin/ifreload': '#!/usr/bin/python3\n'}


def test_ifupdown2_lower_cases_the_mode_before_it_looks_it_up(tmp_path):
    root = system(tmp_path, {**IFUPDOWN2, 'etc/network/interfaces':
                             'auto bond0\niface bond0 inet manual\n    bond-slaves eth0 eth1\n'
                             '    bond-mode Active-Backup\n    bond-miimon 100\n'
                             '    bond-primary eth0\n'})
    result = check(root, '-v')
    assert result.code == 0, result.output
    assert 'ok: matches /etc/network/interfaces (ifupdown2)' in result.output
    assert 'invalid' not in result.output


def test_ifupdown2_takes_members_only_from_bond_slaves(tmp_path):
    root = system(tmp_path, {**IFUPDOWN2, 'etc/network/interfaces':
                             'auto bond0\niface bond0 inet manual\n    bond-slaves none\n'
                             '    bond-mode active-backup\n    bond-miimon 100\n'
                             'auto eth0\niface eth0 inet manual\n    bond-master bond0\n'
                             'auto eth1\niface eth1 inet manual\n    bond-master bond0\n'})
    result = check(root)
    assert result.code == 1
    assert ('bond0: none in /etc/network/interfaces not enslaved, eth0 enslaved but in no '
            'configuration (bond-master in /etc/network/interfaces: ifupdown2 takes members '
            'only from bond-slaves)') in result.first_line


def test_the_same_file_under_ifupdown_with_ifenslave_is_fine(tmp_path):
    root = system(tmp_path, {**IFUPDOWN, 'etc/network/if-pre-up.d/ifenslave': '#!/bin/sh\n',
                             'etc/network/interfaces':
                             'auto bond0\niface bond0 inet manual\n    bond-slaves none\n'
                             '    bond-mode active-backup\n    bond-miimon 100\n'
                             '    bond-primary eth0\n'
                             'auto eth0\niface eth0 inet manual\n    bond-master bond0\n'
                             'auto eth1\niface eth1 inet manual\n    bond-master bond0\n'})
    result = check(root, '-v')
    assert result.code == 0, result.output
    assert '(ifupdown (ifenslave))' in result.output


def test_ifupdown2_makes_no_bond_for_a_primary_that_is_no_interface(tmp_path):
    root = system(tmp_path, {**IFUPDOWN2, 'etc/network/interfaces':
                             'auto bond0\niface bond0 inet manual\n    bond-slaves eth0 eth1\n'
                             '    bond-mode active-backup\n    bond-primary eno1\n'})
    result = check(root)
    assert result.code == 1
    assert ('bond0: will not come up: ifupdown2 does not make bond0: bond-primary eno1 is no '
            'interface here') in result.first_line


# 4. A file the tool rejects brings nothing up: say so, with the file and the reason

@needs_yaml
def test_netplan_rejects_a_mode_by_number(tmp_path):
    root = system(tmp_path, {**NETPLAN, 'etc/netplan/50-bond.yaml': netplan_bond(
        'mode: 1', 'mii-monitor-interval: 100', 'primary: eth0')})
    result = check(root)
    assert result.code == 1
    assert result.first_line.startswith('BONDING WARNING - bond0: will not come up: netplan '
                                        'rejects mode 1 in /etc/netplan/50-bond.yaml')


def test_networkmanager_rejects_a_keyfile_whose_first_line_is_a_semicolon_comment(tmp_path):
    keyfile = ('; written by hand\n[connection]\nid=bond0\ntype=bond\ninterface-name=bond0\n\n'
               '[bond]\nmode=active-backup\nmiimon=100\nprimary=eth0\n')
    root = system(tmp_path, {**NM, 'etc/NetworkManager/system-connections/bond0.nmconnection':
                             keyfile})
    result = check(root)
    assert result.code == 1
    assert result.first_line.startswith(
        'BONDING WARNING - bond0: will not come up: NetworkManager rejects /etc/NetworkManager/'
        'system-connections/bond0.nmconnection (GLib: line 1: neither [group] nor key=value)')


# 5. The file whose value wins is the one named

@needs_yaml
def test_netplan_names_the_later_file_whose_value_wins(tmp_path):
    root = system(tmp_path, {**NETPLAN, 'etc/netplan/01-base.yaml': netplan_bond(
        'mode: active-backup', 'mii-monitor-interval: 100', 'primary: eth0'),
        'etc/netplan/99-local.yaml': 'network:\n  bonds:\n    bond0:\n      parameters:\n'
                                     '        mii-monitor-interval: 250\n'})
    result = check(root)
    assert result.code == 1
    assert 'bond0: miimon 250 in /etc/netplan/99-local.yaml but 100 running' in result.first_line


def test_networkd_names_the_drop_in_whose_value_wins(tmp_path):
    root = system(tmp_path, {**NETWORKD, 'etc/systemd/network/10-bond0.netdev': NETDEV,
                             'etc/systemd/network/10-bond0.netdev.d/50-slow.conf':
                             '[Bond]\nMIIMonitorSec=250ms\n',
                             'etc/systemd/network/20-eth.network':
                             '[Match]\nName=eth0\n\n[Network]\nBond=bond0\nPrimarySlave=yes\n',
                             'etc/systemd/network/21-eth.network':
                             '[Match]\nName=eth1\n\n[Network]\nBond=bond0\n'})
    result = check(root)
    assert 'bond0: miimon 250 in /etc/systemd/network/10-bond0.netdev.d/50-slow.conf but 100 ' \
           'running' in result.first_line


def test_modprobe_names_the_later_file_whose_option_wins(tmp_path):
    root = system(tmp_path, {'etc/modprobe.d/10-bonding.conf':
                             'options bonding mode=active-backup miimon=100\n',
                             'etc/modprobe.d/90-local.conf': 'options bonding miimon=250\n',
                             'etc/modules-load.d/bonding.conf': 'bonding\n'})
    result = check(root)
    assert 'bond0: miimon 250 in /etc/modprobe.d/90-local.conf but 100 running' in \
        result.first_line


def test_nm_names_the_profile_that_wins(tmp_path):
    profile = '[connection]\nid={}\nuuid={}\ntype=bond\ninterface-name=bond0\n' \
              'autoconnect-priority={}\n\n[bond]\nmode=active-backup\nmiimon={}\nprimary=eth0\n'
    root = system(tmp_path, {**NM, 'etc/NetworkManager/system-connections/a.nmconnection':
                             profile.format('a', 'a' * 8 + '-0000-4000-8000-' + '0' * 12, 0, 100),
                             'etc/NetworkManager/system-connections/b.nmconnection':
                             profile.format('b', 'b' * 8 + '-0000-4000-8000-' + '0' * 12, 5, 250)})
    result = check(root)
    assert 'NetworkManager picks b (autoconnect-priority): miimon 250 but 100 running' in \
        result.first_line


@needs_yaml
def test_the_reader_reports_which_file_set_each_netplan_parameter(tmp_path):
    root = system(tmp_path, {'etc/netplan/01-base.yaml': netplan_bond('mode: active-backup',
                                                                      'up-delay: 200'),
                             'etc/netplan/99-local.yaml': 'network:\n  bonds:\n    bond0:\n'
                             '      parameters:\n        mode: 802.3ad\n'})
    (definition,) = drift.configuration(str(root), 'netplan')[0].definitions['bond0']
    assert (definition.options['mode'].file, definition.options['updelay'].file) == (
        '/etc/netplan/99-local.yaml', '/etc/netplan/01-base.yaml')


# netplan's `renderer:` under a device type is that type's renderer, not a device

@needs_yaml
@pytest.mark.parametrize('renderer, tool', [('networkd', 'netplan (systemd-networkd)'),
                                            ('NetworkManager', 'netplan (NetworkManager)')])
def test_netplan_a_renderer_for_all_bonds_is_no_bond(tmp_path, renderer, tool):
    text = netplan_bond('mode: active-backup', 'mii-monitor-interval: 100', 'primary: eth0')
    root = system(tmp_path, {**NETPLAN, 'etc/netplan/50-bond.yaml': text.replace(
        '  bonds:\n', f'  bonds:\n    renderer: {renderer}\n')})
    result = check(root, '-v')
    assert result.code == 0, result.output
    assert 'not a mapping' not in result.output
    assert f'ok: matches /etc/netplan/50-bond.yaml ({tool})' in result.output


# 6. sysfs of another network namespace: the running side is what /proc prints

def test_networkd_bond_in_a_namespace_whose_sysfs_is_another_is_compared_from_proc(tmp_path):
    # netns-one-name-healthy: /proc shows bond0 over vA, vB (active-backup, miimon
    # 100, primary vA); sysfs is another namespace's bond0 over x0, x1
    root = system(tmp_path, {**NETWORKD, 'etc/systemd/network/10-bond0.netdev': NETDEV +
                             'PrimaryReselectPolicy=always\nFailOverMACPolicy=none\n'
                             'TransmitHashPolicy=layer2\n',
                             'etc/systemd/network/20-va.network':
                             '[Match]\nName=vA\n\n[Network]\nBond=bond0\nPrimarySlave=yes\n',
                             'etc/systemd/network/21-vb.network':
                             '[Match]\nPermanentMACAddress=52:54:00:00:00:0b\n\n[Network]\n'
                             'Bond=bond0\n'}, capture='netns-one-name-healthy')
    result = check(root, '-v')
    assert result.code == 0, result.output
    assert 'ok: matches /etc/systemd/network/10-bond0.netdev (systemd-networkd)' in result.output
    assert 'x0' not in result.output.split('|')[0].replace('lists slaves x0', '')


def test_an_option_proc_does_not_show_is_not_compared_when_sysfs_is_elsewhere(tmp_path):
    # /proc prints no hash policy in balance-tlb (nor here, in active-backup); sysfs,
    # another bond0's, says layer2: a note, never "layer3+4 but layer2 running"
    netdev = NETDEV.replace('active-backup', 'balance-tlb') + 'TransmitHashPolicy=layer3+4\n'
    root = system(tmp_path, {**NETWORKD, 'etc/systemd/network/10-bond0.netdev': netdev,
                             'etc/systemd/network/20-v.network':
                             '[Match]\nName=v*\n\n[Network]\nBond=bond0\n'},
                  capture='netns-one-name-healthy')
    result = check(root, '-v')
    assert result.first_line.startswith('BONDING WARNING - bond0: mode balance-tlb in '
                                        '/etc/systemd/network/10-bond0.netdev:6 but active-backup '
                                        'running'), result.output
    assert 'xmit_hash_policy layer3+4' not in result.output
    assert ('ok: xmit_hash_policy not compared: /proc does not show it and sysfs shows another '
            'interface of this name') in result.output


# 7. NetworkManager 1.52: ARP monitoring with IPv6 targets only (ns_ip6_target)

def nm_ns6_bond(tmp_path, *bond_lines):
    """arp-ns6-targets (active-backup, arp_interval 100, arp_missed_max 10, NS target
    fd00::1, no IPv4 target, primary eth0) with a keyfile bond0 and its two ports."""
    head = '[connection]\nid={0}\nuuid={1}\ntype={2}\ninterface-name={0}\n'
    uuid = '3b6a2b14-7c1e-4a4e-9a3c-5d1f2e0c9b1{}'
    files = {f'{NM_KEYFILES}/bond0.nmconnection': head.format('bond0', uuid.format(0), 'bond') +
             '\n[bond]\n' + ''.join(f'{line}\n' for line in bond_lines)}
    for n in (1, 2):
        files[f'{NM_KEYFILES}/eth{n - 1}.nmconnection'] = head.format(
            f'eth{n - 1}', uuid.format(n), 'ethernet') + 'controller=bond0\nport-type=bond\n'
    return system(tmp_path, {**NM, **files}, capture='arp-ns6-targets')


NM_KEYFILES = 'etc/NetworkManager/system-connections'
NS6_BOND = ('mode=active-backup', 'arp_interval=100', 'arp_missed_max=10',
            'ns_ip6_target=fd00::1', 'primary=eth0')


def test_networkmanager_takes_arp_monitoring_with_ipv6_targets_only(tmp_path):
    result = check(nm_ns6_bond(tmp_path, *NS6_BOND), '-v')
    assert result.code == 0, result.output
    assert f'ok: matches /{NM_KEYFILES}/bond0.nmconnection (NetworkManager keyfile)' in \
        result.output
    assert 'unknown bond option' not in result.output


def test_networkmanager_ns_ip6_target_is_compared_with_the_running_ns_targets(tmp_path):
    lines = [line.replace('fd00::1', 'fd00:0::2,fd00::1') for line in NS6_BOND]
    result = check(nm_ns6_bond(tmp_path, *lines))
    assert result.code == 1, result.output
    assert (f'bond0: ns_ip6_target fd00::2,fd00::1 in /{NM_KEYFILES}/bond0.nmconnection but '
            'fd00::1 running') in result.first_line


@pytest.mark.parametrize('lines, why', [
    (('mode=active-backup', 'ns_ip6_target=fd00::1'), 'ns_ip6_target without arp_interval'),
    (('mode=balance-tlb', 'arp_missed_max=3'), 'arp_missed_max with mode balance-tlb'),
    (('mode=802.3ad', 'arp_interval=100', 'ns_ip6_target=fd00::1'),  # 802.3ad drops ARP
     'ns_ip6_target without arp_interval'),
    (('mode=1', 'arp_interval=100', 'ns_ip6_target=fd00::1,192.0.2.1'),  # dropped: invalid
     'arp_interval without arp_ip_target or ns_ip6_target')])
def test_networkmanager_refuses_what_nm_1_52_refuses(lines, why):
    raw = {key: (value, n) for n, (key, _, value) in enumerate(
        (line.partition('=') for line in lines), 1)}
    assert nmbond.bond_options(raw, '/bond0.nmconnection')[3] == why


# 8. updelay/downdelay as the kernel stores them: whole miimon periods, said as such

def running_downdelay(root, value: int):
    """The captured bond (miimon 100) with downdelay `value` in sysfs and /proc."""
    (root / 'sys/class/net/bond0/bonding/downdelay').write_text(f'{value}\n')
    proc = root / 'proc/net/bonding/bond0'
    proc.write_text(proc.read_text().replace('Down Delay (ms): 0', f'Down Delay (ms): {value}'))
    return root


def test_a_delay_the_kernel_rounds_names_the_file_value_and_the_rounding(tmp_path):
    # miimon 250 from a drop-in: the kernel stores 200 ms as 0 whole periods, while the
    # running bond (miimon 100) keeps 200: the file says 200, the next boot makes it 0
    root = running_downdelay(system(tmp_path, {
        **NETWORKD, 'etc/systemd/network/10-bond0.netdev': NETDEV + 'DownDelaySec=200ms\n',
        'etc/systemd/network/10-bond0.netdev.d/50-slow.conf': '[Bond]\nMIIMonitorSec=250ms\n',
        'etc/systemd/network/20-eth.network':
        '[Match]\nName=eth0\n\n[Network]\nBond=bond0\nPrimarySlave=yes\n',
        'etc/systemd/network/21-eth.network': '[Match]\nName=eth1\n\n[Network]\nBond=bond0\n'}),
        200)
    result = check(root, '-v')
    assert ('warning: downdelay 200 in /etc/systemd/network/10-bond0.netdev:8 (0 after the '
            'kernel rounds it down to a multiple of miimon 250) but 200 running') in \
        result.output, result.output
    assert 'warning: miimon 250 in /etc/systemd/network/10-bond0.netdev.d/50-slow.conf:2 but ' \
           '100 running' in result.output


@pytest.mark.parametrize('options, running, said', [
    ('mode=active-backup miimon=250 downdelay=600', 700, 'miimon 250 (running 100), downdelay '
     '600 (running 700; 500 after the kernel rounds it down to a multiple of miimon 250)'),
    ('mode=1 miimon=0 downdelay=200', 200, 'miimon 0 (running 100), downdelay 200 (running 200; '
     '0: the kernel takes none while miimon is 0)'),
], ids=['rounded down', 'no miimon'])
def test_the_rounding_is_said_where_one_file_sets_several_options(tmp_path, options, running,
                                                                  said):
    root = running_downdelay(system(tmp_path, {
        'etc/modprobe.d/bonding.conf': f'options bonding {options} primary=eth0\n',
        'etc/modules-load.d/bonding.conf': 'bonding\n'}), running)
    result = check(root)
    assert f'bond0: {said} in /etc/modprobe.d/bonding.conf' in result.first_line, result.output
