"""Run shell scripts inside a real Linux kernel: Debian's user-mode-linux.

Why: the bonding driver's output (/proc/net/bonding/<bond>, sysfs) can only
be produced by a kernel, and neither a container nor a CI runner lets us load
bonding.ko or pull cables. ``linux.uml`` (package ``user-mode-linux``) is a
complete 6.1 kernel built as an ordinary host program (no root, no KVM).
Booted with ``rootfstype=hostfs rootflags=/`` its root filesystem *is* the
host's filesystem, so the guest runs the host's /bin/sh, ip, python3 and our
plugin, and whatever it writes lands directly in a host directory.

What the guest shares with the host is plain file I/O through hostfs, done as
the user that started linux.uml. Everything else is the guest's own: its
/proc, /sys and /dev mounts, network devices and namespaces, modules. The
init script mounts a tmpfs on /run so that ``ip netns add`` (which creates
files under /run/netns) does not litter the host. Guest scripts still run as
root on the host's files: keep them to writing below their $OUT directory.
Files the guest creates there belong to the host user running linux.uml,
whichever guest user created them (hostfs does not map ownership).

Typical use::

    ok, why = uml.available()
    res = uml.boot("ip link > $OUT/links")
    print((res.out / "links").read_text())

    for r in uml.run_commands(["id -u", "cat /proc/net/dev"], setup=...):
        print(r.user, r.returncode, r.stdout)
"""

import ctypes
import functools
import os
import struct
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

KERNEL = "linux.uml"
MODULES_ROOT = Path("/usr/lib/uml/modules")
# Modules the bonding test bed needs, relative to <modules>/kernel, in
# dependency order (bonding and bridge need ipv6, which needs crc-ccitt).
MODULES = (
    "lib/crc-ccitt",
    "net/ipv6/ipv6",
    "net/llc/llc",
    "net/802/stp",
    "net/bridge/bridge",
    "drivers/net/veth",
    "drivers/net/bonding/bonding",
)
USERS = ("root", "nobody")

# On hosts with AVX-512 (or AMX) the 6.1 UML kernel dies at its first user
# process ("userspace - ptrace set fp regs failed, errno = 14"): the host's
# PTRACE_SETREGSET(NT_X86_XSTATE) wants the whole XSAVE area, which is larger
# than UML 6.1's buffer. Making that request fail (a seccomp filter, below)
# sends UML to its FXSAVE fallback, which keeps x87/SSE state only, so guest
# programs must not use AVX: glibc's tunables switch its AVX code paths off.
FXSAVE_ONLY_ENV = ("glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,"
                   "-AVX512CD,-AVX_Fast_Unaligned_Load,-ERMS,-FSRM")
XSTATE_FAILURE = "ptrace set fp regs failed"

# PID 1 of the guest. The kernel runs it with a bare environment and
# nothing mounted but devtmpfs on /dev. The user script runs in a subshell so that
# whatever it does, the guest records its exit status and powers off (the
# UML process exits when the guest halts). `sync` flushes hostfs writes.
INIT = """#!/bin/sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/ LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1
{tunables}
export OUT={out} MODULES={modules}
mount -t proc proc /proc && mount -t sysfs sysfs /sys && mount -t tmpfs run /run
cd /
# run_as USER CMD: run shell command CMD as USER (root, or e.g. nobody like
# NRPE), with a fresh HOME and STATE_DIRECTORY under ${{HOMES:-/run/home}}/USER
# so that nothing the command stores lands in the host's /var/lib or ~. They
# live on the guest's tmpfs: hostfs creates every file as the host user that
# runs linux.uml, so there a file written by nobody would look root-owned.
run_as() {{
    h="${{HOMES:-/run/home}}/$1"
    mkdir -p "$h/state" && chown -R "$1:" "$h"
    export HOME="$h" STATE_DIRECTORY="$h/state"
    if [ "$1" = root ]; then sh -c "$2"
    else setpriv --reuid="$1" --regid="$(id -g "$1")" --clear-groups sh -c "$2"
    fi
    rc=$?; export HOME=/; unset STATE_DIRECTORY; return $rc
}}
( . {script} ) >"$OUT/guest.log" 2>&1
echo $? >"$OUT/status"
sync
poweroff -f
"""


class BootError(RuntimeError):
    """The guest did not run to the end; ``.result`` holds what it left."""

    def __init__(self, message, result):
        super().__init__(f"{message}\n--- console tail ---\n{result.console[-3000:]}")
        self.result = result


@dataclass
class Boot:
    workdir: Path  # holds init.sh, script.sh, home/, console.log and out/
    out: Path  # $OUT inside the guest: where the script writes its results
    status: int  # exit status of the script
    seconds: float  # wall time of the whole boot
    console: str  # kernel console (boot messages, bonding driver messages)

    @property
    def log(self):
        """Combined stdout/stderr of the script."""
        return (self.out / "guest.log").read_text(errors="replace")


@dataclass
class CommandResult:
    command: str
    user: str
    returncode: int
    stdout: str
    stderr: str


def _refuse_xstate_ptrace():
    """In the child before exec: ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE)
    fails with EIO, so UML falls back to PTRACE_GETFPREGS (see FXSAVE_ONLY_ENV).
    A classic BPF program: x86_64 only, syscall ptrace (101), request 0x4204,
    note type 0x202; everything else is allowed."""
    def insn(code, k, jt=0, jf=0):
        return struct.pack("HBBI", code, jt, jf, k)
    load, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_RET|K
    allow, eio = 0x7FFF0000, 0x00050000 | 5
    checks = ((4, 0xC000003E), (0, 101), (16, 0x4204), (32, 0x202))  # offsets in seccomp_data
    prog = b"".join(insn(load, offset) + insn(jeq, value, 1, 0) + insn(ret, allow)
                    for offset, value in checks) + insn(ret, eio)
    buf = ctypes.create_string_buffer(prog)

    class Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if (libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0 or libc.prctl(
            pr_set_seccomp, seccomp_mode_filter,
            ctypes.byref(Fprog(len(prog) // 8, ctypes.addressof(buf))), 0, 0) != 0):
        raise OSError(ctypes.get_errno(), "seccomp filter refused")


@functools.lru_cache(maxsize=None)
def fxsave_only():
    """Does this host need the FXSAVE fallback? Tried once per process."""
    try:
        boot("true", timeout=60, fxsave=False)
    except BootError as e:
        shutil.rmtree(e.result.workdir, ignore_errors=True)
        return XSTATE_FAILURE in e.result.console
    return False


def module_dir():
    """The UML modules directory for the installed kernel, or None."""
    dirs = sorted(MODULES_ROOT.glob("*/kernel/drivers/net/bonding/bonding.ko"))
    return dirs[-1].parents[4] if dirs else None


@functools.lru_cache(maxsize=None)
def available(probe=True):
    """(True, "") if guests can be booted here, else (False, reason).

    With ``probe`` a trivial guest is booted once per process (a few
    seconds), which also catches hosts where ptrace, /dev/shm or exec from
    shared memory is denied (e.g. tight container seccomp profiles).
    """
    if not shutil.which(KERNEL):
        return False, f"{KERNEL} not found (apt-get install user-mode-linux)"
    mods = module_dir()
    if mods is None:
        return False, f"no bonding.ko under {MODULES_ROOT}"
    missing = [m for m in MODULES if not (mods / "kernel" / f"{m}.ko").exists()]
    if missing:
        return False, f"UML modules missing in {mods}: {', '.join(missing)}"
    for tool in ("ip", "setpriv", "insmod"):
        if not shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin"):
            return False, f"{tool} not found (apt-get install iproute2 kmod util-linux)"
    if probe:
        try:
            res = boot("echo ok > $OUT/probe", timeout=60)
        except (BootError, OSError) as e:
            return False, f"{KERNEL} failed to boot: {e}"
        ok = (res.out / "probe").read_text().strip() == "ok"
        shutil.rmtree(res.workdir, ignore_errors=True)
        if not ok:
            return False, f"{KERNEL} booted but the guest script failed"
    return True, ""


def boot(script, timeout=120, workdir=None, mem="768M", fxsave=None, kernel_args=()):
    """Boot a guest that runs shell ``script`` (sourced by /bin/sh) and halts.

    The script sees $OUT (a host directory, empty at start), $MODULES (the
    UML modules dir, e.g. ``insmod $MODULES/kernel/drivers/net/veth.ko``) and
    a shell function ``run_as USER CMD``. Its stdout/stderr go to $OUT/guest.log.
    The guest runs as root on the host's files: write only below $OUT.
    Returns a :class:`Boot`; raises :class:`BootError` if the guest timed out
    (the UML process group is killed) or never reached the end of init.
    ``workdir`` (default: a new temp dir) is left for the caller to remove.
    ``fxsave``: use the FXSAVE fallback (default: where the host needs it).
    ``kernel_args``: more kernel command line arguments, e.g. ``("eth8=mcast",)``
    for a UML network device (``platform/uml-netdev.8``, a device-backed NIC
    that needs no host privileges: UDP multicast on the host's loopback).
    """
    if fxsave is None:
        fxsave = fxsave_only()
    work = Path(workdir or tempfile.mkdtemp(prefix="uml-"))
    work.chmod(0o755)  # guest users other than root need to reach $OUT
    out, home = work / "out", work / "home"
    out.mkdir(parents=True, exist_ok=True)
    home.mkdir(exist_ok=True)  # UML keeps its mconsole socket in ~/.uml
    (work / "script.sh").write_text(script)
    init = work / "init.sh"
    init.write_text(INIT.format(out=shlex.quote(str(out)), modules=module_dir(),
                                script=shlex.quote(str(work / "script.sh")),
                                tunables=(f"export GLIBC_TUNABLES={FXSAVE_ONLY_ENV}"
                                          if fxsave else "")))
    init.chmod(0o755)
    cmd = [KERNEL, f"mem={mem}", "rootfstype=hostfs", "rootflags=/", "rw",
           f"init={init}", "con=null", "con0=null,fd:1", *kernel_args]
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    start = time.monotonic()
    with open(work / "console.log", "wb") as console:
        # Own session: UML forks helper processes; on timeout we kill the
        # whole process group, and only that group.
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=console,
                                stderr=subprocess.STDOUT, env=env,
                                start_new_session=True,
                                preexec_fn=_refuse_xstate_ptrace if fxsave else None)
        try:
            proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    status = out / "status"
    result = Boot(work, out, int(status.read_text()) if status.exists() else -1,
                  time.monotonic() - start,
                  (work / "console.log").read_text(errors="replace"))
    if timed_out:
        raise BootError(f"guest timed out after {timeout}s (workdir {work})", result)
    if not status.exists():
        raise BootError(f"guest halted before its script finished (workdir {work})", result)
    return result


def commands_script(commands, users=USERS, dest="$OUT/commands"):
    """Shell text running each command as each user, saving its output.

    For command i and user u, writes <dest>/<i>.<u>.{out,err,rc}. Kept
    separate from run_commands() so that callers can run commands after
    several setups in one boot (see scenarios.py).
    """
    lines = [f'mkdir -p "{dest}"']
    for i, command in enumerate(commands):
        for user in users:
            base = f'"{dest}/{i}.{user}'
            lines.append(f'run_as {user} {shlex.quote(command)} >{base}.out" 2>{base}.err"'
                         f' </dev/null; echo $? >{base}.rc"')
    return "\n".join(lines) + "\n"


def read_commands(dest, commands, users=USERS):
    """Collect what commands_script() left in directory ``dest``."""
    def read(i, user, ext):
        return (Path(dest) / f"{i}.{user}.{ext}").read_text(errors="replace")
    return [CommandResult(command, user, int(read(i, user, "rc")),
                          read(i, user, "out"), read(i, user, "err"))
            for i, command in enumerate(commands) for user in users]


def run_commands(commands, setup="", users=USERS, timeout=120):
    """Boot once, run ``setup`` as root, then each command as each user.

    Returns a list of :class:`CommandResult` in (command, user) order.
    Non-root users are switched to with setpriv (real and effective uid/gid,
    no supplementary groups, no capabilities), which is what NRPE gives a
    plugin.
    """
    res = boot(setup + "\n" + commands_script(commands, users), timeout=timeout)
    try:
        return read_commands(res.out / "commands", commands, users)
    finally:
        shutil.rmtree(res.workdir, ignore_errors=True)
