"""What reading Open vSwitch bonds costs, against a real ovs-vswitchd (tests/ovs/lab.py):
the unixctl JSON-RPC on the control socket (what the plugin does: the four
requests sent at once; and one by one, as ovs-appctl must) against running
ovs-appctl for the same four answers, and the whole check, with N
LACP bonds (each with a partner bond in the same daemon). Needs root and
openvswitch-switch.

    python benchmarks/ovs_read.py            # N = 1, 8, 32; 30 runs each
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / 'tests' / 'ovs')]
from lab import PLUGIN, Lab, missing  # noqa: E402

from check_bonding.ovs import source  # noqa: E402

LACP = ('lacp=active', 'bond_mode=balance-tcp', 'other_config:lacp-time=fast')


def median_ms(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def build(lab, bonds: int):
    for n in range(bonds):
        lab.bond('br-a', f'bond{n}', [f'a{2 * n + 1}', f'a{2 * n + 2}'], *LACP)
        lab.bond('br-b', f'peer{n}', [f'b{2 * n + 1}', f'b{2 * n + 2}'], *LACP)
    lab.wait_for(f'bond{bonds - 1}', 'bond/list')
    lab.wait_for('lacp_status: negotiated', 'bond/show', f'bond{bonds - 1}', timeout=60)


def measure(bonds: int, runs: int) -> dict:
    with Lab(pairs=2 * bonds) as lab:
        build(lab, bonds)
        socket_path = source.control_socket(lab.dir)
        appctl = ['ovs-appctl', '-t', socket_path]
        return {
            'socket, sent at once': median_ms(lambda: source.ask(socket_path, source.COMMANDS),
                                              runs),
            'socket, one by one': median_ms(lambda: [source.ask(socket_path, (command,))
                                                     for command in source.COMMANDS], runs),
            'ovs-appctl x4': median_ms(lambda: [subprocess.run(
                [*appctl, command], capture_output=True, check=True)
                for command in source.COMMANDS], runs),
            'check --kind ovs': median_ms(lambda: subprocess.run(
                [PLUGIN, '--kind', 'ovs', '--no-state'], env=lab.env, capture_output=True,
                check=False), runs),
            'answers KiB': sum(map(len, source.ask(socket_path, source.COMMANDS).values()))
            / 1024,
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=30)
    parser.add_argument('--bonds', type=int, nargs='*', default=[1, 8, 32])
    args = parser.parse_args()
    if missing():
        sys.exit(f'cannot run the OVS lab: {missing()}')
    results = {n: measure(n, args.runs) for n in args.bonds}
    columns = list(next(iter(results.values())))
    print(f'{"bonds":>6}' + ''.join(f'{c:>22}' for c in columns)
          + f'   (ms, medians of {args.runs} runs; {os.cpu_count()} CPUs)')
    for n, row in results.items():
        print(f'{n:>6}' + ''.join(f'{row[c]:>22.2f}' for c in columns))


if __name__ == '__main__':
    main()
