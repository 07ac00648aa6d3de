"""Hostile and broken input: every outcome is exit 0..3 and one valid first line,
never a traceback, and a stored baseline is never lost."""
import errno
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from check_bonding.parse import parse_proc
from helpers import EXAMPLES, run_check

FIRST_LINE = re.compile(r"BONDING (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]+( \| .+)?")
REAL_LINES = (EXAMPLES / 'seed-failover/proc/net/bonding/bond0').read_text().splitlines() + [
    'Bonding Mode: IEEE 802.3ad Dynamic link aggregation', 'Aggregator ID: N/A',
    'Active Aggregator Info:', '\tAggregator ID: 1', '\tNumber of ports: 0',
    'details partner lacp pdu:', '    port state: 1', 'Speed: Unknown', 'MII Status: going back',
    'ARP Polling Interval (ms): 100', 'ARP IP target/s (n.n.n.n form):',
    'bond bond0 has no active aggregator', 'Slave Interface: ../../etc', 'Slave Interface: ']
line = st.one_of(st.sampled_from(REAL_LINES),
                 st.builds(lambda k, v: f'{k}: {v}', st.sampled_from(
                     [text.split(':')[0] for text in REAL_LINES if ':' in text]),
                     st.one_of(st.integers(-2 ** 70, 2 ** 70).map(str), st.text(max_size=20))),
                 st.text(max_size=40))
proc_text = st.lists(line, max_size=40).map(lambda lines: '\n'.join(lines))
newline = st.sampled_from(['\n', '\r\n'])


@given(st.text())
def test_parser_accepts_any_text(text):
    bond = parse_proc('bond0', text)
    assert all(isinstance(s.name, str) for s in bond.slaves)


@given(proc_text, newline)
def test_parser_accepts_mangled_real_text(text, nl):
    bond = parse_proc('bond0', text.replace('\n', nl))
    assert bond.name == 'bond0' and len({s.name for s in bond.slaves}) == len(bond.slaves)


def make_tree(root, proc, sysfs):
    os.makedirs(f'{root}/proc/net/bonding')
    with open(f'{root}/proc/net/bonding/bond0', 'wb') as out:
        out.write(proc)
    for relpath, content in sysfs.items():
        path = f'{root}/sys/class/net/{relpath}'
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if content == 'dir':
            os.makedirs(path, exist_ok=True)
        elif content == 'loop':
            os.symlink(os.path.basename(path), path)
        else:
            with open(path, 'wb') as out:
                out.write(content)


sysfs_file = st.sampled_from(['bonding_masters', 'bond0/bonding/mode',
                              'bond0/bonding/ad_aggregator', 'eth0/speed', 'eth0/duplex',
                              'eth0/bonding_slave/ad_aggregator_id', 'eth1/speed'])
sysfs_content = st.one_of(st.binary(max_size=64), st.sampled_from(['dir', 'loop']),
                          st.sampled_from([b'bond0\n', b'4\n', b'-1\n', b'x' * 5000]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(proc_text.map(str.encode), st.binary(max_size=2000)),
       st.dictionaries(sysfs_file, sysfs_content, max_size=5),
       st.lists(st.sampled_from(['-v', '-vv', '-p', 'eth0', '-m', '4', '--slaves',
                                 'eth0,eth1', '-w', '3:', '-c', '2:']), max_size=4))
def test_whole_check_on_arbitrary_trees_stays_within_the_plugin_api(proc, sysfs, extra):
    with tempfile.TemporaryDirectory() as root:
        make_tree(root, proc, sysfs)
        result = run_check(['--root', root, '--state-dir', f'{root}/state', *extra])
    assert result.code in (0, 1, 2, 3)
    assert FIRST_LINE.fullmatch(result.first_line), result.output
    assert 'Traceback' not in result.output


def test_huge_proc_file_is_read_bounded(check, tmp_path):
    slave = 'Slave Interface: eth{0}\nMII Status: up\nLink Failure Count: 0\n\n'
    make_tree(tmp_path, ('MII Status: up\n' + ''.join(
        slave.format(i) for i in range(20000))).encode(), {})
    started = time.monotonic()
    result = check('--root', tmp_path, '-b', 'bond0', '--no-state')
    assert time.monotonic() - started < 5
    assert result.code == 0 and 'bond0_slaves=1024;' in result.output  # MAX_SLAVES


@pytest.mark.parametrize('code', [errno.EACCES, errno.EIO, errno.EINVAL])
def test_read_errors_on_the_proc_file_are_unknown_naming_file_and_reason(
        check, monkeypatch, code):
    real_open = os.open

    def failing_open(path, *args, **kwargs):
        if str(path).endswith('proc/net/bonding/bond0'):
            raise OSError(code, os.strerror(code), path)
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(os, 'open', failing_open)
    result = check('--root', EXAMPLES / 'seed-failover', '-b', 'bond0')
    assert result.code == 3
    assert result.first_line == (f'BONDING UNKNOWN - bond0: cannot read {EXAMPLES}/seed-failover'
                                 f'/proc/net/bonding/bond0: {os.strerror(code)}')


@pytest.mark.parametrize('code', [errno.EACCES, errno.EIO, errno.EINVAL, errno.ENOENT])
def test_read_errors_on_sysfs_are_data_not_failures(check, monkeypatch, tmp_path, code):
    make_tree(tmp_path, (EXAMPLES / 'seed-failover/proc/net/bonding/bond1').read_bytes(),
              {'eth2/speed': b'1000\n'})
    real_open = os.open

    def failing_open(path, *args, **kwargs):
        if '/sys/' in str(path):
            raise OSError(code, os.strerror(code), path)
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(os, 'open', failing_open)
    result = check('--root', tmp_path, '-b', 'bond0', '--no-state')
    assert result.code == 0


def test_a_blocking_read_honours_the_timeout_and_keeps_the_baseline(check, monkeypatch,
                                                                   state_dir):
    seed = EXAMPLES / 'seed-failover'
    assert check('--root', seed, '-b', 'bond1').code == 0
    (baseline,) = state_dir.iterdir()
    before = baseline.read_bytes()
    real_read = os.read

    def hung_read(fd, size):
        if 'bonding' in os.readlink(f'/proc/self/fd/{fd}'):
            time.sleep(30)  # a hung NFS server
        return real_read(fd, size)
    monkeypatch.setattr(os, 'read', hung_read)
    started = time.monotonic()
    result = check('--root', seed, '-b', 'bond1', '-t', '1')
    assert time.monotonic() - started < 5
    assert result.code == 3
    assert result.first_line == 'BONDING UNKNOWN - timeout: no result within 1s (-t)'
    assert 'Traceback' not in result.output
    assert baseline.read_bytes() == before and json.loads(before)['format'] == 2


def test_an_internal_error_is_one_unknown_line_even_with_verbose(check, monkeypatch):
    from check_bonding import judge  # what BondResource.judge calls

    def broken(bond, expect):
        raise ZeroDivisionError('division by zero\nsecond line')
    monkeypatch.setattr(judge, 'judge', broken)
    result = check('--root', EXAMPLES / 'seed-failover', '-vvv', '--no-state')
    assert result.code == 3
    assert result.output == ('BONDING UNKNOWN - internal error: ZeroDivisionError: '
                             'division by zero\n')


@pytest.mark.parametrize('content', [b'', b'\x00' * 100, b'hello: world\n'])
def test_a_file_that_is_not_bonding_output_is_unknown_not_a_bond_state(check, tmp_path, content):
    make_tree(tmp_path, content, {})
    result = check('--root', tmp_path, '-b', 'bond0', '--no-state')
    assert result.code == 3
    assert result.first_line == (f'BONDING UNKNOWN - bond0: cannot parse {tmp_path}/proc/net/'
                                 'bonding/bond0: no "Bonding Mode" or "MII Status" line')


def test_a_critical_bond_is_not_hidden_by_an_unreadable_one(check, tmp_path):
    import shutil
    shutil.copytree(EXAMPLES / 'seed-failover', tmp_path / 'root')
    (tmp_path / 'root/proc/net/bonding/bond1').unlink()
    (tmp_path / 'root/proc/net/bonding/bond1').mkdir()
    result = check('--root', tmp_path / 'root', '-c', '2:', '--no-state')
    assert result.code == 2
    assert result.first_line.startswith('BONDING CRITICAL - bond0: eth0 down; bond1: cannot read ')


def test_names_the_kernel_allows_but_perfdata_does_not_are_made_safe(check, tmp_path):
    seed = (EXAMPLES / 'seed-failover/proc/net/bonding/bond1').read_text()
    make_tree(tmp_path, seed.replace('eth2', "e'th=2").encode(), {})
    os.rename(tmp_path / 'proc/net/bonding/bond0', tmp_path / 'proc/net/bonding/b=o')
    result = check('--root', tmp_path, '--no-state')
    assert result.code == 0, result.output
    assert "'b%3Do_slaves_up'=2;2:;1:;0;2" in result.output
    assert "'e%27th%3D2_link_failures'=2c" in result.output


json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                          | st.text(max_size=8), lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                          max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(['time', 'active', 'boot_id', 'slaves', 'events', 'samples', 'eth0',
                        'perm_hwaddr', 'instance', 'no_link_since', 'counters', 'link_failures',
                        'event', 'format']), json_value)
def test_a_damaged_state_file_of_the_right_format_is_set_aside_never_a_crash(field, value):
    from check_bonding import baseline, flaps
    from check_bonding.parse import Bond, Slave
    from check_bonding.store import BaselineStore
    bond = Bond(name='bond0', active_slave='eth0', slaves=(
        Slave(name='eth0', mii_status='up', link_failures=1, perm_hwaddr='aa'),))
    state = baseline.new_state(bond.name)
    flaps.update(state, bond, 'boot', 1000, 3600)
    if field in ('eth0', 'perm_hwaddr', 'instance', 'no_link_since', 'counters'):
        target = state['slaves']['eth0'] if field != 'eth0' else state['slaves']
        target[field] = value
    elif field == 'link_failures':
        state['slaves']['eth0']['counters'][field] = value
    elif field == 'event':
        state['events'].append(value)
    else:
        state[field] = value
    with tempfile.TemporaryDirectory() as directory:
        with open(f'{directory}/bond0.json', 'w') as out:
            json.dump(state, out)
        report = BaselineStore(directory, '/', 3600, False, lambda: 2000).update(bond, 'boot')
        with open(f'{directory}/bond0.json') as stored:
            assert baseline.valid_state(json.load(stored))
    damaged = [f.text for f in report.findings if 'set aside' in f.text]
    assert baseline.valid_state(state) or damaged


def test_names_are_bytes_split_on_ascii_space_and_printed_escaped(tmp_path):
    """A bond named em<U+2003>sp is one bond (not 'em' and 'sp'), -b takes it, and a
    name with byte 0xff is read, found and printed as \\xff: the output stays UTF-8."""
    seed = (EXAMPLES / 'seed-failover/proc/net/bonding/bond1').read_bytes()
    bonding = tmp_path / 'proc/net/bonding'
    bonding.mkdir(parents=True)
    (bonding / 'em\u2003sp').write_bytes(seed)
    (bonding / os.fsdecode(b'x\xff')).write_bytes(seed.replace(b'eth2', b'e\xff2'))
    process = subprocess.run([sys.executable, '-m', 'check_bonding', '--root', tmp_path,
                              '--no-state', '-v'], capture_output=True, timeout=60)
    output = process.stdout.decode('utf-8')  # valid UTF-8, or this raises
    assert process.returncode == 0, output
    assert output.startswith('BONDING OK - em\u2003sp active-backup, active eth2 (primary), '
                             '2/2 slaves up; x\\xff active-backup, active e\\xff2 (primary)')
    assert "'e\\xff2_link_failures'=2c" in output
    named = run_check(['--root', tmp_path, '--no-state', '-b', 'em\u2003sp'])
    assert named.code == 0 and named.first_line.startswith('BONDING OK - em\u2003sp ')


def test_perfdata_labels_stay_unique_for_names_that_differ_only_in_unsafe_characters(tmp_path):
    seed = (EXAMPLES / 'seed-failover/proc/net/bonding/bond1').read_text()
    make_tree(tmp_path, seed.replace('eth2', 'e=1').replace('eth3', 'e_1').encode(), {})
    result = run_check(['--root', tmp_path, '--no-state'])
    labels = [item.split('=')[0] for item in result.output.split('|', 1)[1].split()]
    assert len(labels) == len(set(labels)), labels
    assert "'e%3D1_link_failures'" in labels and 'e_1_link_failures' in labels
