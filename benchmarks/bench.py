"""Whole-process cost of check_bonding against the interpreter floor.

Measures wall time, CPU time (user + system) and peak RSS (median of several runs) of:
  floor-python   python -c pass
  floor-import   python -c "import nagiosplugin, psutil"  (what the plugin cannot avoid)
  one-bond       one active-backup bond with two slaves
  32x4           32 bonds of 4 slaves each
  32x4-nostate   the same with --no-state: without the 32 state files
  32x4-changing  the same, every slave with a new link failure at every run: 32 files
                 written and fsynced (the other cases are quiet: nothing to write)
  1000-ifaces    one bond on a host with 1000 other interfaces (sysfs and /proc/net/dev)
  32x4-lacp      32 802.3ad bonds of 4 slaves whose bytes move at every run (every slave's
                 /proc/net/dev line grows before each run): the stored byte sample is no
                 change, so these runs write nothing either (baseline.SAMPLED)
  ovs-32         one kernel bond and 32 Open vSwitch LACP bonds (the real ovs-vswitchd's
                 answers of tests/data/fixtures/ovs-lacp, copied 32 times, replayed: the
                 parsing and judging; benchmarks/ovs_read.py measures the socket)
  lldp-answer    one-bond with lldpd's answer in the tree (a capture): reading and judging it
  lldpcli        lldpcli -f json0 show neighbors alone, on a socket nothing listens on (it
                 fails at once): the process a live run adds where lldpd runs, but for
                 lldpd's own answer (the check asks lldpd on the live system only)
and prints ratios against the floors measured in the same run: of wall time, and of CPU
time, which --check judges (CI's stages share two cores: the wall time of a short process
then measures the others' load, its CPU time barely moves). Every case but
ovs-32 is a host without OVS: the plugin looks for ovs-vswitchd's pidfile, finds
none and reads nothing else; without lldpd every case but lldp-answer pays one
lstat for its socket.

    python benchmarks/bench.py                 # full: 30 runs per case
    python benchmarks/bench.py --light --check # CI: few runs, fail on a gross regression
"""
import argparse
import os
from pathlib import Path
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

AB_BOND = '''Ethernet Channel Bonding Driver: 6.1.0

Bonding Mode: fault-tolerance (active-backup)
Primary Slave: {0} (primary_reselect always)
Currently Active Slave: {0}
MII Status: up
MII Polling Interval (ms): 100
Up Delay (ms): 5000
Down Delay (ms): 0
Peer Notification Delay (ms): 0
'''
SLAVE = '''
Slave Interface: {0}
MII Status: up
Speed: 1000 Mbps
Duplex: full
Link Failure Count: 0
Permanent HW addr: 52:54:00:00:{1:02x}:{2:02x}
Slave queue ID: 0
'''
LACP_BOND = '''Ethernet Channel Bonding Driver: 6.1.0

Bonding Mode: IEEE 802.3ad Dynamic link aggregation
Transmit Hash Policy: layer3+4 (1)
MII Status: up
MII Polling Interval (ms): 100
Up Delay (ms): 0
Down Delay (ms): 0
Peer Notification Delay (ms): 0

802.3ad info
LACP active: on
LACP rate: fast
Min links: 0
Aggregator selection policy (ad_select): stable
Active Aggregator Info:
	Aggregator ID: 1
	Number of ports: {0}
	Actor Key: 15
	Partner Key: 15
	Partner Mac Address: 52:54:00:00:ff:{1:02x}
'''
LACP_SLAVE = '''
Slave Interface: {0}
MII Status: up
Speed: 10000 Mbps
Duplex: full
Link Failure Count: 0
Permanent HW addr: 52:54:00:00:{1:02x}:{2:02x}
Slave queue ID: 0
Aggregator ID: 1
Actor Churn State: none
Partner Churn State: none
Actor Churned Count: 0
Partner Churned Count: 0
details actor lacp pdu:
    system priority: 65535
    system mac address: 52:54:00:00:00:{1:02x}
    port key: 15
    port priority: 255
    port number: {3}
    port state: 63
details partner lacp pdu:
    system priority: 65535
    system mac address: 52:54:00:00:ff:{1:02x}
    oper key: 15
    port priority: 255
    port number: {3}
    port state: 63
'''
NET_DEV_HEAD = ('Inter-|   Receive                                                |  Transmit\n'
                ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    '
                'packets errs drop fifo colls carrier compressed\n')

# Targets from the issue; --check fails only far beyond them (gross regressions).
TARGETS = {'one-bond/floor-import': 1.15, '32x4/one-bond': 1.5, '1000-ifaces/one-bond': 1.1,
           # 802.3ad's reading and rules, no write: a write at every run measured 2.0x to 2.2x
           '32x4-lacp/32x4': 1.3,
           # 32 OVS bonds replayed (parse and judge, no socket; measured 1.1x to 1.3x);
           # lldpd's answer read and judged (measured 1.0x to 1.05x)
           'ovs-32/one-bond': 1.5, 'lldp-answer/one-bond': 1.15}
GROSS = 1.5  # --check tolerates this factor over each target on a noisy CI machine


def write(root, relpath, text):
    path = os.path.join(root, relpath)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as out:
        out.write(text)


def make_host(root, bonds, slaves, noise=0, lacp=False):
    """A --root tree with `bonds` active-backup (or 802.3ad) bonds of `slaves`
    slaves each, plus `noise` unrelated veth interfaces in sysfs and /proc/net/dev."""
    names, dev = [], [NET_DEV_HEAD]
    for b in range(bonds):
        members = [f'eth{b * slaves + s}' for s in range(slaves)]
        head = LACP_BOND.format(slaves, b) if lacp else AB_BOND.format(members[0])
        slave = LACP_SLAVE if lacp else SLAVE
        write(root, f'proc/net/bonding/bond{b}', head + ''.join(
            slave.format(m, b, s, s + 1) for s, m in enumerate(members)))
        names.append(f'bond{b}')
        for m in members:
            dev.append(f'  {m}: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n')
    for n in range(noise):
        write(root, f'sys/class/net/veth{n}/operstate', 'up\n')
        dev.append(f' veth{n}: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n')
    write(root, 'sys/class/net/bonding_masters', ' '.join(names) + '\n')
    write(root, 'proc/net/dev', ''.join(dev))
    write(root, 'proc/sys/kernel/random/boot_id', '3f1c0e5a-0000-4000-8000-000000000000\n')
    return root


OVS_SAMPLE = Path(__file__).resolve().parents[1] / 'tests/data/fixtures/ovs-lacp/ovs-appctl'


def make_ovs_answers(root, bonds):
    """The captured answers for bond0 (members a1, a2) as `bonds` bonds ovsN with
    members oN-1, oN-2 (names changed on the lines that name them only)."""
    texts = {name: (OVS_SAMPLE / name).read_text() for name in
             ('bond-list', 'bond-show', 'lacp-show', 'lacp-show-stats')}
    listing = texts['bond-list'].splitlines()
    one = {name: section(text, '---- bond0 ') for name, text in texts.items()
           if name != 'bond-list'}
    one['bond-list'] = next(line for line in listing if line.startswith('bond0\t')) + '\n'
    for name in one:
        text = ''.join(rename(one[name], n) for n in range(bonds))
        write(root, f'ovs-appctl/{name}', (listing[0] + '\n' if name == 'bond-list' else '') + text)
    return root


def section(text, head):
    start = text.index(head)
    end = text.find('\n---- ', start + 1)
    return text[start:] if end < 0 else text[start:end + 1]


def rename(text, n):
    def line(row):
        if row.startswith(('---- bond0', 'bond0\t', 'member', 'active member mac')):
            row = row.replace('bond0', f'ovs{n}').replace('a1', f'o{n}-1').replace('a2', f'o{n}-2')
        return row
    return ''.join(line(row) for row in text.splitlines(keepends=True))


def with_lldp(root, answer):
    """A copy of `root` with lldpd's answer where its socket is, as a capture keeps it."""
    copy = f'{root}-lldp'
    shutil.copytree(root, copy)
    write(copy, 'run/lldpd.socket', answer)
    return copy


def add_link_failures(root):
    """Each slave's Link Failure Count + 1: the next run has a change to store."""
    for name in os.listdir(f'{root}/proc/net/bonding'):
        path = f'{root}/proc/net/bonding/{name}'
        with open(path) as proc:
            text = proc.read()
        write(root, f'proc/net/bonding/{name}', re.sub(
            r'Link Failure Count: (\d+)', lambda m: f'Link Failure Count: {int(m[1]) + 1}', text))


def move_bytes(root):
    """Every interface's bytes sent and received grow, as on a host with traffic."""
    with open(f'{root}/proc/net/dev') as dev:
        lines = dev.readlines()[2:]
    grown = []
    for line in lines:
        name, fields = line.split(':', 1)
        values = [int(v) for v in fields.split()]
        values[0] += random.randrange(10 ** 5, 10 ** 7)  # rx bytes
        values[8] += random.randrange(10 ** 5, 10 ** 7)  # tx bytes
        grown.append(f'{name}: {" ".join(map(str, values))}\n')
    write(root, 'proc/net/dev', NET_DEV_HEAD + ''.join(grown))


def run_once(argv):
    """Wall seconds, peak RSS (KiB) and CPU seconds of one run of argv."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1, 2) and 'lldpcli' not in argv[0]:
        sys.exit(f'benchmark run failed: {argv}')
    return wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def measure(cases, runs, seed=1):
    """Wall seconds and RSS of each case, run after run. The cases take turns
    in a shuffled order, so a load that comes and goes on the machine, or the
    writeback a case leaves behind, weighs on all of them alike."""
    order = random.Random(seed)
    samples = {name: [] for name in cases}
    for _ in range(runs):
        for name in order.sample(list(cases), len(cases)):
            argv, before = cases[name]
            if before:
                before()
            samples[name].append(run_once(argv))
    return samples


WALL, CPU = 0, 2  # indexes into a sample


def ratio(samples, case, base, of=WALL):
    """Median of the ratios within each turn: a slow spell cancels out."""
    return statistics.median(a[of] / b[of] for a, b in zip(samples[case], samples[base]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=30)
    parser.add_argument('--light', action='store_true', help='7 runs per case')
    parser.add_argument('--check', action='store_true',
                        help=f'exit 1 if a CPU-time ratio exceeds its target x{GROSS}')
    args = parser.parse_args()
    runs = 7 if args.light else args.runs
    python = sys.executable
    script = os.path.join(os.path.dirname(python), 'check_bonding')
    plugin = [script] if os.path.exists(script) else [python, '-m', 'check_bonding']
    with tempfile.TemporaryDirectory() as tmp:
        state = os.path.join(tmp, 'state')
        changing = make_host(f'{tmp}/changing', 32, 4)
        lacp = make_host(f'{tmp}/lacp', 32, 4, lacp=True)
        cases = {  # name: (argv, what to do before each run)
            'floor-python': ([python, '-c', 'pass'], None),
            'floor-import': ([python, '-c', 'import nagiosplugin, psutil'], None),
            'one-bond': (plugin + ['--root', make_host(f'{tmp}/one', 1, 2),
                                   '--state-dir', state], None),
            '32x4': (plugin + ['--root', make_host(f'{tmp}/many', 32, 4),
                               '--state-dir', state], None),
            '32x4-nostate': (plugin + ['--root', f'{tmp}/many', '--no-state'], None),
            '32x4-changing': (plugin + ['--root', changing, '--state-dir', state],
                              lambda: add_link_failures(changing)),
            '32x4-lacp': (plugin + ['--root', lacp, '--state-dir', state],
                          lambda: move_bytes(lacp)),
            '1000-ifaces': (plugin + ['--root', make_host(f'{tmp}/noisy', 1, 2, noise=1000),
                                      '--state-dir', state], None),
            'ovs-32': (plugin + ['--root', make_ovs_answers(make_host(f'{tmp}/ovs', 1, 2), 32),
                                 '--state-dir', state], None),
        }
        one = cases['one-bond'][0][2]
        answer = os.path.join(os.path.dirname(__file__), os.pardir, 'tests', 'data', 'fixtures',
                              'lldp-one-switch', 'run', 'lldpd.socket')
        with open(answer) as text:
            cases['lldp-answer'] = (plugin + ['--root', with_lldp(one, text.read()),
                                              '--state-dir', state], None)
        lldpcli = shutil.which('lldpcli', path='/usr/sbin:/usr/bin:/sbin:/bin')
        bound = socket.socket(socket.AF_UNIX)
        if lldpcli and os.access(lldpcli, os.X_OK):
            bound.bind(f'{tmp}/lldpd.socket')
            cases['lldpcli'] = ([lldpcli, '-u', f'{tmp}/lldpd.socket', '-f', 'json0', 'show',
                                 'neighbors'], None)
        measure(cases, 2)  # warm the page cache and the state files
        samples = measure(cases, runs)
    print(f'{"case":<14}{"wall ms":>9}{"CPU ms":>9}{"peak RSS MiB":>14}'
          f'   (medians of {runs} runs)')
    for name, runs_ in samples.items():
        wall, rss, cpu = (statistics.median(x[i] for x in runs_) for i in (0, 1, 2))
        print(f'{name:<14}{wall * 1000:9.1f}{cpu * 1000:9.1f}{rss / 1024:14.1f}')
    print(f'{"ratio":<26} {"wall":>5}   {"CPU":>5}')
    failed = False
    for name in (*TARGETS, '32x4-changing/32x4', 'lldpcli/one-bond'):
        case, base = name.split('/')
        if case not in samples:
            continue
        wall, cpu = ratio(samples, case, base), ratio(samples, case, base, CPU)
        line = f'{name:<26} {wall:5.2f}x  {cpu:5.2f}x'
        if name in TARGETS:
            ok = cpu <= TARGETS[name] * (GROSS if args.check else 1)
            failed |= not ok
            line += f'  (target {TARGETS[name]}x){"" if ok else "  EXCEEDED"}'
        print(line)
    peak = max(x[1] for runs_ in samples.values() for x in runs_) / 1024
    print(f'peak RSS {peak:.1f} MiB (target < 25 MiB)')
    failed |= peak >= 25 * (GROSS if args.check else 1)
    if args.check and failed:
        sys.exit(1)


if __name__ == '__main__':
    main()
