"""Hostile and broken input: every outcome is exit 0..3 and one valid first line,
never a traceback, and a stored baseline is never lost."""
import errno
import json
import os
import re
import tempfile
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from check_bonding.parse import parse_proc
from conftest import EXAMPLES, run_check

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
    assert baseline.read_bytes() == before and json.loads(before)['format'] == 1


def test_an_internal_error_is_one_unknown_line_even_with_verbose(check, monkeypatch):
    from check_bonding import plugin

    def broken(bond, expect):
        raise ZeroDivisionError('division by zero\nsecond line')
    monkeypatch.setattr(plugin, 'judge', broken)
    result = check('--root', EXAMPLES / 'seed-failover', '-vvv', '--no-state')
    assert result.code == 3
    assert result.output == ('BONDING UNKNOWN - internal error: ZeroDivisionError: '
                             'division by zero\n')
