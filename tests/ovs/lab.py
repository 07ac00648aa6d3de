"""A real Open vSwitch to test against: ovsdb-server and ovs-vswitchd (Debian's
openvswitch-switch) on the userspace datapath, without the kernel module.

Lab() makes a network namespace of its own and a run/db/log directory (mode
0755, as /run/openvswitch is, so an unprivileged check meets the root-only
socket as it would on a host), starts both daemons inside the namespace with
--detach and their pidfiles there, and makes veth pairs a<i> <-> b<i> in it.
Bridges are datapath_type=netdev; two bonds joined by the pairs (members a*
on one bridge, b* on the other) are each other's LACP partner. The check runs
as a real process with OVS_RUNDIR naming the directory, as root or as nobody.
stop() ends the daemons by their pidfiles and deletes the namespace and the
directory: nothing on the host's interfaces is touched.
"""
from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLUGIN = os.environ.get('CHECK_BONDING', str(Path(sys.executable).parent / 'check_bonding'))
SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema'
DAEMONS = ('ovs-vswitchd', 'ovsdb-server')  # stopped in this order
_serial = itertools.count()


def missing() -> str | None:
    """Why the lab cannot run here, or None."""
    if os.geteuid() != 0:
        return 'needs root (network namespaces, the OVS daemons)'
    for tool in ('ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl', 'ovs-appctl', 'ovsdb-tool', 'ip'):
        if shutil.which(tool) is None:
            return f'{tool} not installed (tests/ovs/APT_PACKAGES: openvswitch-switch iproute2)'
    if not os.path.exists(SCHEMA):
        return f'{SCHEMA} missing (openvswitch-common)'
    return None


class Lab:
    def __init__(self, pairs: int = 2):
        self.ns = f'cbovs{os.getpid()}x{next(_serial)}'
        self.dir = tempfile.mkdtemp(prefix='cb-ovs-')
        os.chmod(self.dir, 0o755)
        self.env = dict(os.environ, OVS_RUNDIR=self.dir, OVS_DBDIR=self.dir,
                        OVS_LOGDIR=self.dir, OVS_SYSCONFDIR=self.dir)
        self.pairs = pairs
        self.started = False

    # -- set up and tear down ------------------------------------------------
    def start(self) -> Lab:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self):
        run('ip', 'netns', 'add', self.ns)
        self.started = True
        self.ip('link', 'set', 'lo', 'up')
        for i in range(1, self.pairs + 1):
            self.ip('link', 'add', f'a{i}', 'type', 'veth', 'peer', 'name', f'b{i}')
            self.ip('link', 'set', f'a{i}', 'up')
            self.ip('link', 'set', f'b{i}', 'up')
        db = f'{self.dir}/conf.db'
        run('ovsdb-tool', 'create', db, SCHEMA, env=self.env)
        self.netns('ovsdb-server', db, f'--remote=punix:{self.dir}/db.sock',
                   f'--pidfile={self.dir}/ovsdb-server.pid',
                   f'--unixctl={self.dir}/ovsdb-server.ctl',
                   f'--log-file={self.dir}/ovsdb-server.log', '--detach')
        self.vsctl('--no-wait', 'init')
        self.netns('ovs-vswitchd', f'unix:{self.dir}/db.sock',
                   f'--pidfile={self.dir}/ovs-vswitchd.pid',
                   f'--log-file={self.dir}/ovs-vswitchd.log', '--detach')
        for bridge in ('br-a', 'br-b'):
            self.vsctl('add-br', bridge, '--', 'set', 'bridge', bridge, 'datapath_type=netdev')

    def stop(self):
        """End what start() began, whatever it got to."""
        for daemon in DAEMONS:
            pid = self._pid(daemon)
            if pid:
                _terminate(pid)
        if self.started:
            subprocess.run(['ip', 'netns', 'delete', self.ns], check=False)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _pid(self, daemon: str) -> int | None:
        try:
            return int(Path(f'{self.dir}/{daemon}.pid').read_text().strip())
        except (OSError, ValueError):
            return None

    # -- commands --------------------------------------------------------------
    def ip(self, *args):
        run('ip', '-n', self.ns, *args)

    def netns(self, *argv):
        run('ip', 'netns', 'exec', self.ns, *argv, env=self.env)

    def vsctl(self, *args) -> str:
        return run('ovs-vsctl', f'--db=unix:{self.dir}/db.sock', *args, env=self.env)

    def appctl(self, *args) -> str:
        """What the real ovs-appctl answers (the oracle for the socket reader)."""
        return run('ovs-appctl', '-t', f'{self.dir}/ovs-vswitchd.{self._pid("ovs-vswitchd")}.ctl',
                   *args, env=self.env)

    def link(self, name: str, state: str):
        self.ip('link', 'set', name, state)

    def bond(self, bridge: str, port: str, members, *settings):
        self.vsctl('add-bond', bridge, port, *members, *settings)

    def wait_for(self, text: str, *command, timeout: float = 20):
        """Until ovs-appctl COMMAND's answer holds `text` (LACP, delays take seconds)."""
        command = command or ('bond/show',)
        deadline = time.monotonic() + timeout
        while True:
            answer = self.appctl(*command)
            if text in answer:
                return answer
            if time.monotonic() > deadline:
                raise AssertionError(f'no {text!r} in ovs-appctl {" ".join(command)} after '
                                     f'{timeout} s:\n{answer}')
            time.sleep(0.2)

    def check(self, *argv, user: str = 'root', inside: bool = False):
        """The installed plugin as a process, as `user`, pointed at this OVS;
        `inside` the lab's network namespace (ip netns exec mounts its sysfs)."""
        prefix = ['ip', 'netns', 'exec', self.ns] if inside else []
        if user != 'root':
            prefix += ['setpriv', f'--reuid={user}', '--regid=nogroup', '--clear-groups']
        return subprocess.run([*prefix, PLUGIN, *map(str, argv)], env=self.env,
                              capture_output=True, text=True, timeout=60, check=False)

    def capture(self, dest: Path, user: str = 'root'):
        """--capture into dest (replaced), as `user`."""
        shutil.rmtree(dest, ignore_errors=True)
        parent = Path(tempfile.mkdtemp(prefix='cb-ovs-capture-'))
        os.chmod(parent, 0o1777)
        try:
            result = self.check('--capture', parent / 'tree', user=user)
            assert result.returncode == 0, result.stdout + result.stderr
            shutil.copytree(parent / 'tree', dest, symlinks=True)
        finally:
            shutil.rmtree(parent, ignore_errors=True)


def run(*argv, env=None) -> str:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f'{" ".join(argv)}: exit {result.returncode}: {result.stderr}')
    return result.stdout


def _terminate(pid: int, wait: float = 5):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
