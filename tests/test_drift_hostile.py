"""Hostile configuration (docs/design/config-drift.md §7): every parser takes any
text, the reader stays inside --root, and the whole --config-drift run ends in one
valid first line."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from check_bonding.drift import (files, ifupdown, keyfile, model, modprobe, netplan, networkd,
                                 nmkeyfiles, shellvars)
from helpers import DRIFT_SAMPLES as SAMPLES, run_check

FIRST_LINE = re.compile(r"BONDING (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]+( \| .+)?")
CONFIG_LINES = ['BONDING_OPTS="mode=1 miimon=100"', "MASTER='bond0'", 'SLAVE=yes',
                '[Bond]', 'Mode=active-backup\\', 'MIIMonitorSec=1min 40s', '[connection]',
                'type=bond', 'interface-name=bond0', '; comment', 'iface bond0 inet manual',
                '  bond-slaves eth0 eth1', 'source /etc/network/interfaces',
                'options bonding max_bonds=0 mode=4', 'alias bond0 bonding', 'network:',
                '  bonds: &a', '    bond0: *a', '  ethernets: {eth0: {}}', '$(reboot)', '`id`']
config_text = st.lists(st.one_of(st.sampled_from(CONFIG_LINES), st.text(max_size=30)),
                       max_size=30).map('\n'.join)


@given(config_text)
def test_text_parsers_accept_any_text(text):
    shellvars.parse(text)
    networkd.parse(text)
    ifupdown.parse(text)
    modprobe.parse(text)
    model.timespan_ms(text)
    model.kernel_options(text, 'f', 1, {})
    for parse in (keyfile.parse, lambda t: nmkeyfiles.parse_keyfile(t, 'f')):
        try:
            parse(text)
        except keyfile.Rejected:
            pass


@pytest.mark.skipif(not netplan.available(), reason='PyYAML (python3-yaml) is not installed')
@given(st.one_of(config_text.map(str.encode), st.binary(max_size=300)))
def test_yaml_is_composed_or_refused_never_a_traceback(data):
    try:
        netplan.to_python(netplan.compose(data), [], 'f')
    except netplan.YamlError:
        pass


@pytest.mark.skipif(not netplan.available(), reason='PyYAML (python3-yaml) is not installed')
@pytest.mark.parametrize('text, why', [
    (b'a: &x [1]\nb: *x\n', 'alias refused'),
    (b'a: &x\n  b: *x\n', 'alias refused'),
    (b'x: \xff\n', 'unacceptable character'),
    (b'[' * 200 + b']' * 200, 'refused'),
])
def test_yaml_bombs_loops_and_bad_bytes_are_refused(text, why):
    with pytest.raises(netplan.YamlError, match=why):
        netplan.compose(text)


@pytest.mark.skipif(not netplan.available(), reason='PyYAML (python3-yaml) is not installed')
def test_yaml_scalars_stay_strings():
    tree = netplan.to_python(netplan.compose(b'm: 52:54:00:12:34:56\no: on\nn: 0100\n'), [], 'f')
    assert tree == {'m': '52:54:00:12:34:56', 'o': 'on', 'n': '0100'}


def test_glib_rules_not_configparser():
    groups = keyfile.parse('[bond]\n  mode = active-backup\nMode=802.3ad\n[bond]\nmiimon=1\n'
                           'id[de]=x\nname=a\\sb\n')
    assert groups['bond']['mode'][0] == 'active-backup' and groups['bond']['Mode'][0] == '802.3ad'
    assert groups['bond']['miimon'][0] == '1' and groups['bond']['name'][0] == 'a b'
    with pytest.raises(keyfile.Rejected, match='line 2'):
        keyfile.parse('[a]\n; not a comment for GLib\n')


def test_shell_files_are_never_evaluated():
    found, notes = shellvars.parse('A="$(reboot)"\nB=`id`\nC=${X:-y}\nexport D=\'it\'"s"\n'
                                   'E="a\\"b"\nF=x y\n')
    assert [found[k].value for k in 'ABCF'] == [None] * 4
    assert found['D'].value == 'its' and found['E'].value == 'a"b'


def test_systemd_time_spans():
    assert model.timespan_ms('100') == 100000 and model.timespan_ms('100ms') == 100
    assert model.timespan_ms('1min 40s') == 100000 and model.timespan_ms('1x') is None


def test_the_reader_stays_inside_the_root(tmp_path):
    root = tmp_path / 'root'
    (root / 'etc').mkdir(parents=True)
    (tmp_path / 'secret').write_text('outside')
    os.symlink('../../secret', root / 'etc/up')
    os.symlink('/etc/passwd', root / 'etc/abs')
    os.symlink('loop', root / 'etc/loop')
    os.symlink('/dev/null', root / 'etc/masked')
    os.mkfifo(root / 'etc/fifo')
    (root / 'etc/big').write_bytes(b'x' * (files.FILE_LIMIT + 1))
    tree = files.Tree(str(root))
    assert [tree.read(f'/etc/{n}') for n in ('up', 'abs', 'loop', 'masked', 'fifo', 'big')] == \
        [None] * 6
    assert tree.masked('/etc/masked') and tree.read('/../secret') is None
    notes = '\n'.join(tree.notes)
    for text in ('leaves --root', 'link target absent', 'Too many levels', 'FIFO'):
        assert text in notes
    assert tree.unread == [('/etc/big', 'larger than 256 KiB', '')]  # a tool would read it


def test_the_hostile_sample_gives_a_note_per_file_and_no_crash(tmp_path):
    from check_bonding import drift
    prediction, tree = drift.configuration(str(SAMPLES / 'hostile-inputs'))
    notes = '\n'.join(prediction.notes + tree.notes)
    for text in ('ifcfg-eth9: symlink or path leaves --root', 'ifcfg-eth8: link target absent',
                 'loop.conf: Too many levels', 'BONDING_OPTS cannot be evaluated',
                 'sourced again (a source loop)', 'bond_mode given 2 times'):
        assert text in notes
    unread = {path.rsplit('/', 1)[1]: why for path, why, _ in tree.unread}
    assert unread['ifcfg-bond6'] == 'a NUL byte (binary)'
    assert [why for _, why, _ in tree.rejected if 'bond4.nmconnection (GLib: line 6' in why]
    if netplan.available():
        assert unread['90-laughs.yaml'] == 'line 4: YAML alias refused (netplan reads it)'
        assert unread['91-recursive.yaml'] == 'line 5: YAML alias refused (netplan reads it)'
        assert [why for _, why, _ in tree.rejected if '92-tags.yaml: unacceptable' in why]
    bond2 = prediction.definitions['bond2'][0]
    assert any('ARPIPTargets=192.0.2.1 not-an-ip' in n for n in bond2.notes)
    assert (bond2.options['mode'].value, bond2.options['miimon'].value) == ('active-backup',
                                                                           100000)
    assert 'arp_ip_target' not in bond2.options  # networkd sends targets only with ARP on
    kept, _, _ = networkd.bond_settings(networkd.unit_files(
        files.Tree(str(SAMPLES / 'hostile-inputs')), '.netdev')[0][1], 'f')
    assert kept['arp_ip_target'].value == ('192.0.2.2',)


CONFIG_PATHS = ['etc/sysconfig/network-scripts/ifcfg-bond0',
                'etc/sysconfig/network-scripts/ifcfg-eth0',
                'etc/NetworkManager/system-connections/b.nmconnection', 'etc/netplan/01.yaml',
                'etc/systemd/network/10-b.netdev', 'etc/systemd/network/20-e.network',
                'etc/network/interfaces', 'etc/modprobe.d/b.conf',
                'etc/sysconfig/network/ifcfg-bond0',
                'etc/systemd/system/multi-user.target.wants/NetworkManager.service']
content = st.one_of(config_text.map(str.encode), st.binary(max_size=200),
                    st.sampled_from(['dir', 'loop', 'escape', 'fifo', 'devnull']))


@pytest.mark.slow  # 40 whole checks on generated trees, seconds
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(CONFIG_PATHS), content, max_size=6),
       st.sampled_from(['auto', 'ifcfg', 'nm', 'netplan', 'networkd', 'ifupdown', 'ifupdown2',
                        'wicked', 'modprobe']),
       st.sampled_from([[], ['-v'], ['-vv']]))
def test_whole_drift_check_on_arbitrary_config_trees(tree, source, extra):
    with tempfile.TemporaryDirectory() as root:
        shutil.copytree(SAMPLES / 'centos5-seed/proc', f'{root}/proc')
        shutil.copytree(SAMPLES / 'centos5-seed/sys', f'{root}/sys')
        for relpath, data in tree.items():
            path = f'{root}/{relpath}'
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if data == 'dir':
                os.makedirs(path)
            elif data == 'loop':
                os.symlink(os.path.basename(path), path)
            elif data == 'escape':
                os.symlink('../../../../../../../../etc/shadow', path)
            elif data == 'fifo':
                os.mkfifo(path)
            elif data == 'devnull':
                os.symlink('/dev/null', path)
            else:
                with open(path, 'wb') as out:
                    out.write(data)
        result = run_check(['--root', root, '--no-state', '--config-drift',
                            '--config-source', source, *extra])
    assert result.code in (0, 1, 2, 3)
    assert FIRST_LINE.fullmatch(result.first_line), result.output
    assert 'Traceback' not in result.output


def test_a_default_run_imports_nothing_of_the_drift_package():
    probe = ('import sys\nfrom check_bonding.cli import main\n'
             f'main(["--root", "{SAMPLES}/centos5-seed", "--no-state"])\n')
    wrapper = ('import os, sys\n_exit = os._exit\n'
               'def report(code):\n'
               '    print("LOADED", sorted(m for m in sys.modules if m.startswith('
               '"check_bonding.drift") or m == "yaml"))\n'
               '    sys.stdout.flush()\n    _exit(code)\n'
               'os._exit = report\n' + probe)
    result = subprocess.run([sys.executable, '-c', wrapper], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.splitlines()[-1] == 'LOADED []', result.stdout + result.stderr
    drifted = subprocess.run([sys.executable, '-c', wrapper.replace(
        '"--no-state"]', '"--no-state", "--config-drift"]')], capture_output=True, text=True,
        timeout=60)
    assert 'check_bonding.drift' in drifted.stdout.splitlines()[-1]
