"""Shared fixtures for the monitoring-daemon integration tests.

The daemons (icinga2, nrpe, nagios4) are started as root and drop their
privileges to the ``nagios`` user, as on a Debian box, so these tests must run
as root. Packages: see APT_PACKAGES next to this file.

Environment:
  CHECK_BONDING_PLUGIN   plugin to test (default: the check_bonding next to the
                         Python running pytest, <repo>/.venv/bin/check_bonding,
                         then check_bonding on PATH); tools/test-all sets it to
                         the packaged /usr/lib/nagios/plugins/check_bonding
  CHECK_BONDING_EXAMPLE  tree for --root (default: <repo>/examples/seed-failover)

Distributed set-ups (an Icinga 2 master and agent, check_nrpe and nrpe) run in
two network namespaces the test makes (``netns_pair``), joined by a veth pair:
the daemons listen on their well-known ports there without touching the host's.
"""

import itertools
import os
import pwd
import shutil
import sys
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTRIB = REPO / "contrib"
DAEMON_USER = "nagios"
# What a daemon started by systemd has: no HOME/XDG_* inherited from root.
DAEMON_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
              "LANG": "C.UTF-8"}


def run(cmd, *, as_daemon_user=False, merge_stderr=False, timeout=60):
    """Run ``cmd`` (a list) with the daemons' environment, optionally as nagios."""
    user = dict(user=DAEMON_USER, group=DAEMON_USER, extra_groups=[]) if as_daemon_user else {}
    return subprocess.run([str(c) for c in cmd], env=DAEMON_ENV, cwd="/", text=True,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
                          timeout=timeout, **user)


class Daemon:
    """A daemon run in the foreground, console output in ``log``; stopped by its PID."""

    def __init__(self, cmd, log):
        self.cmd, self.log = [str(c) for c in cmd], Path(log)
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, env=DAEMON_ENV,
                                         cwd=self.log.parent, start_new_session=True)

    def tail(self, lines=40):
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def check_alive(self):
        rc = self.proc.poll()
        assert rc is None, f"{self.cmd[0]} exited with {rc}:\n{self.tail()}"

    def wait_for(self, predicate, timeout=60):
        """Poll the console log until ``predicate(log_text)`` returns a true value."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate(self.log.read_text(errors="replace"))
            if result:
                return result
            self.check_alive()
            assert time.monotonic() < deadline, f"timed out after {timeout}s:\n{self.tail()}"
            time.sleep(0.2)

    def wait_for_port(self, port, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            self.check_alive()
            assert time.monotonic() < deadline, f"port {port} not open:\n{self.tail()}"
            time.sleep(0.1)

    def _live_group_members(self):
        """PIDs of not-yet-dead processes in the daemon's process group."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z" and int(fields[2]) == self.proc.pid:
                pids.append(int(stat.parent.name))
        return pids

    def stop(self, timeout=30):
        """SIGTERM the daemon by PID and wait until its children (e.g. icinga2's
        worker, which writes the state file) are gone too; SIGKILL the process
        group as a last resort."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None or self._live_group_members():
            if time.monotonic() > deadline:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                raise AssertionError(f"{self.cmd[0]} did not stop:\n{self.tail()}")
            time.sleep(0.1)
        return self.proc.returncode


@pytest.fixture(scope="session")
def require_binary():
    """``require_binary(path, packages)``: return path, or skip if not installed."""
    def require(path, packages):
        if not os.access(path, os.X_OK):
            pytest.skip(f"{path} not installed (apt-get install {packages})")
        return path
    return require


@pytest.fixture(scope="session")
def contrib():
    """The contrib/ directory with the files under test."""
    return CONTRIB


@pytest.fixture(name="run", scope="session")
def run_fixture():
    """``run(cmd, as_daemon_user=False, merge_stderr=False)`` -> CompletedProcess."""
    return run


@pytest.fixture
def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def start_daemon():
    """Start daemons with ``start_daemon(cmd, log)``; all are stopped at teardown."""
    daemons = []

    def start(cmd, log):
        daemons.append(Daemon(cmd, log))
        return daemons[-1]

    yield start
    for daemon in daemons:
        daemon.stop()


@pytest.fixture(scope="session")
def daemon_user():
    if os.geteuid() != 0:
        pytest.skip("needs root: the daemons are started as root and run checks as nagios")
    try:
        return pwd.getpwnam(DAEMON_USER)
    except KeyError:
        pytest.skip(f"no {DAEMON_USER} user (created by the monitoring packages)")


def _readable_by_daemon_user(path, test):
    return run(["test", test, path], as_daemon_user=True).returncode == 0


@pytest.fixture(scope="session")
def plugin(daemon_user):
    """Absolute path of the check_bonding under test, runnable by nagios.

    Skips, with the reason and the fix, when there is none or when nagios
    cannot run it (e.g. a venv made from a Python under /root, as pyenv's
    is): ``tools/test-all`` builds its venvs from /usr/bin/python3 under /opt.
    """
    candidates = [os.environ.get("CHECK_BONDING_PLUGIN"),
                  Path(sys.executable).parent / "check_bonding",  # the venv running pytest
                  REPO / ".venv/bin/check_bonding", shutil.which("check_bonding")]
    path = next((Path(c).absolute() for c in candidates if c and Path(c).is_file()), None)
    if path is None:
        pytest.skip("check_bonding not installed: pip install . into the venv running "
                    "pytest, or set CHECK_BONDING_PLUGIN")
    fix = ("use a venv made from /usr/bin/python3, not from a Python under /root "
           "(tools/test-all does), or set CHECK_BONDING_PLUGIN to the installed "
           "/usr/lib/nagios/plugins/check_bonding")
    if not _readable_by_daemon_user(path, "-x"):
        pytest.skip(f"{DAEMON_USER} cannot execute {path} (a directory above it is not "
                    f"o+x?): {fix}")
    try:
        probe = run([path, "--version"], as_daemon_user=True, merge_stderr=True)
    except OSError as e:  # exec itself refused, e.g. its interpreter is under /root
        pytest.skip(f"{DAEMON_USER} cannot run {path} ({e.strerror}): {fix}")
    if probe.returncode in (126, 127) or "Permission denied" in probe.stdout \
            or not probe.stdout.startswith("check_bonding "):
        first = (probe.stdout.strip().splitlines() or ["no output"])[0]
        pytest.skip(f"{DAEMON_USER} cannot run {path} (exit {probe.returncode}: {first}): {fix}")
    return path


@pytest.fixture(scope="session")
def example_root(daemon_user):
    """The --root tree the daemons check."""
    source = Path(os.environ.get("CHECK_BONDING_EXAMPLE", REPO / "examples/seed-failover"))
    if not source.is_dir():
        pytest.skip(f"example tree {source} missing (set CHECK_BONDING_EXAMPLE)")
    # a copy the daemon user can read wherever the checkout lives (e.g. under /root)
    top = Path(tempfile.mkdtemp(prefix="check_bonding-example-"))
    top.chmod(0o755)
    root = top / source.name
    shutil.copytree(source, root)
    assert _readable_by_daemon_user(root, "-r"), f"{DAEMON_USER} cannot read {root}"
    yield root
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def workdir(daemon_user):
    """Empty temp dir owned by nagios (pytest's tmp_path is 0700 root)."""
    path = Path(tempfile.mkdtemp(prefix="check_bonding-it-"))
    path.chmod(0o755)
    os.chown(path, daemon_user.pw_uid, daemon_user.pw_gid)
    assert _readable_by_daemon_user(path, "-w"), f"{DAEMON_USER} cannot use {path} (TMPDIR?)"
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def daemon_dir(workdir, daemon_user):
    """``daemon_dir(name)``: create ``workdir/name`` owned by nagios."""
    def make(name):
        path = workdir / name
        path.mkdir(parents=True)
        os.chown(path, daemon_user.pw_uid, daemon_user.pw_gid)
        return path
    return make


class Netns:
    """A network namespace of the test: ``name``, ``address``, ``cmd(...)`` the
    argv that runs a command inside it."""

    def __init__(self, name, address):
        self.name, self.address = name, address

    def cmd(self, *argv):
        return ["ip", "netns", "exec", self.name, *map(str, argv)]


NETNS_SERIAL = itertools.count()


@pytest.fixture
def netns_pair(daemon_user):
    """Two namespaces ("master" 192.0.2.254 and "agent" 192.0.2.1) joined by a
    veth pair, loopback up in each. At teardown whatever still runs inside them
    is killed (they are this test's) and they are deleted."""
    if not shutil.which("ip"):
        pytest.skip("ip not installed (apt-get install iproute2)")
    tag = f"cb{os.getpid()}x{next(NETNS_SERIAL)}"
    master, agent = Netns(f"{tag}m", "192.0.2.254"), Netns(f"{tag}a", "192.0.2.1")
    made = []
    try:
        for ns in (master, agent):
            subprocess.run(["ip", "netns", "add", ns.name], check=True)
            made.append(ns)
            subprocess.run(ns.cmd("ip", "link", "set", "lo", "up"), check=True)
        subprocess.run(["ip", "link", "add", master.name, "netns", master.name, "type", "veth",
                        "peer", "name", agent.name, "netns", agent.name], check=True)
        for ns in (master, agent):
            subprocess.run(ns.cmd("ip", "addr", "add", f"{ns.address}/24", "dev", ns.name),
                           check=True)
            subprocess.run(ns.cmd("ip", "link", "set", ns.name, "up"), check=True)
        yield master, agent
    finally:
        for ns in made:
            pids = subprocess.run(["ip", "netns", "pids", ns.name], capture_output=True,
                                  text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            subprocess.run(["ip", "netns", "delete", ns.name], check=False)
