"""LLDP neighbours as lldpd knows them: which switch (chassis) and port each
interface reaches. shared_switch.py judges a bond with them.

lldpd is asked through its own client, `lldpcli -f json0 show neighbors`:
json0 keeps one layout whatever the number of neighbours (plain json turns a
list of one into an object), and lldpcli is lldpd's stable interface (the
socket's protocol is private to the two). Where lldpd does not run, reading
costs one lstat of its socket. What cannot be known is said with what would
allow it, never guessed: on Debian lldpcli runs (setuid _lldpd) for root and
group adm only, and the socket is for root and group _lldpd.

A capture (--capture) keeps the answer in a regular file where the socket
was: lldpcli's JSON, or the one line that says why there is none. A --root
replay reads that file; a tree without it had no lldpd. lldpd is asked on
the live system only: a socket in a --root tree is never handed to lldpcli
(setuid _lldpd on Debian), whoever made it.
"""
from __future__ import annotations

import os
import stat

from .accounts import group_name, user_name
from .records import record
from .shared_switch import NO_LLDPD
from .system import LLDP_SOCKET as SOCKET

LLDPCLI_DIRS = ('/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin')
TIMEOUT = 5  # seconds for lldpcli; lldpd answers from memory in milliseconds
MAX_ANSWER = 4 * 1024 * 1024  # bytes; a switch port's neighbour is ~1 KiB of json0


class Neighbour(record('Neighbour', {
        'chassis': None,     # 'mac 52:54:00:00:01:00': the chassis ID's subtype and value
        'name': None,        # the system name, where the switch sends one
        'port': None,        # the port ID's subtype and value
        'port_descr': None,  # the port description ('Ethernet1/12'), where sent
}, 'One LLDP neighbour seen on an interface.')):
    __slots__ = ()

    @property
    def switch(self) -> str:
        """'sw-a (chassis mac 52:54:00:00:01:00)', or the chassis alone."""
        return f'{self.name} (chassis {self.chassis})' if self.name else f'chassis {self.chassis}'

    @property
    def port_name(self) -> str:
        return self.port_descr or self.port


class Neighbours:
    """{interface: [Neighbour]} as lldpd answered, or `unknown`: why not."""

    def __init__(self, by_interface: dict | None = None, unknown: str | None = None,
                 answer: str | None = None, absent: bool = False):
        self.by_interface = by_interface or {}
        self.unknown = unknown  # the reason, with what would allow it
        self.answer = answer    # lldpcli's text, kept for --capture
        self.absent = absent    # no lldpd at all (nothing to capture)

    def of(self, interface: str) -> list:
        return self.by_interface.get(interface, [])

    def keep(self, tree) -> None:
        """--capture: the answer (or why there is none) in a file where the socket
        was, in the capture.CaptureTree `tree`; nothing where lldpd does not run."""
        if not self.absent:
            tree.write_file(SOCKET, self.answer if self.answer is not None
                            else self.unknown + '\n')


def read(root: str) -> Neighbours:
    """The neighbours lldpd knows on the system at `root` (see the module docstring)."""
    path = os.path.join(root, SOCKET)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return Neighbours(unknown=NO_LLDPD, absent=True)
    except OSError as err:
        return Neighbours(unknown=f'cannot look for lldpd: {path}: {err.strerror}')
    if stat.S_ISREG(info.st_mode):  # a capture's answer
        return _captured(path)
    if not stat.S_ISSOCK(info.st_mode):
        return Neighbours(unknown=f'{path} is not lldpd\'s socket')
    if os.path.realpath(root) != '/':
        return Neighbours(unknown=f'{path} is a socket: lldpd is asked on the live system only')
    return ask(path, info)


def _captured(path: str) -> Neighbours:
    """A capture's answer: lldpcli's JSON, else the reason (its first line)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            text = os.read(fd, MAX_ANSWER).decode('utf-8', 'replace')
        finally:
            os.close(fd)
    except OSError as err:
        return Neighbours(unknown=f'cannot read {path}: {err.strerror}')
    if text.lstrip().startswith('{'):
        return parse(text)
    reason = text.strip().split('\n', 1)[0][:300]
    return Neighbours(unknown=reason or f'{path} is empty')


def lldpcli() -> str | None:
    """lldpcli's path; looked up in the usual places, as NRPE's PATH may be short."""
    for directory in LLDPCLI_DIRS:
        path = os.path.join(directory, 'lldpcli')
        if os.path.exists(path):
            return path
    return None


def ask(socket: str, info) -> Neighbours:
    """lldpd's answer through lldpcli at `socket` (lstat `info`), or why there is none."""
    program = lldpcli()
    if program is None:
        return Neighbours(unknown='lldpd runs but lldpcli is not installed: install it '
                                  '(Debian and RHEL ship it with lldpd)')
    denied = _denied(program, socket, info)
    if denied:
        return Neighbours(unknown=denied)
    # only where lldpd runs; a fixed program from LLDPCLI_DIRS, no shell
    import subprocess  # nosec B404
    try:
        done = subprocess.run([program, '-u', socket, '-f', 'json0', 'show', 'neighbors'],  # noqa: S603 # nosec B603
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired:
        return Neighbours(unknown=f'{program} gave no answer within {TIMEOUT} s')
    except OSError as err:
        return Neighbours(unknown=f'cannot run {program}: {err.strerror}')
    if done.returncode != 0:
        why = done.stderr.decode('utf-8', 'replace').strip().splitlines()
        return Neighbours(unknown=f'{program} failed (exit {done.returncode})'
                                  + (f': {why[-1][:200]}' if why else ''))
    return parse(done.stdout[:MAX_ANSWER].decode('utf-8', 'replace'))


def _denied(program: str, socket: str, info) -> str | None:
    """Why this user cannot ask lldpd, with what would allow it; None if it can."""
    program_info = os.stat(program)
    me = user_name(os.geteuid())
    if not os.access(program, os.X_OK):
        return (f'{program} runs only for {_owners(program_info)}: add {me} to group '
                f'{group_name(program_info.st_gid)} (or run the check as root)')
    if not program_info.st_mode & stat.S_ISUID and not os.access(socket, os.W_OK):
        return (f'lldpd\'s socket {socket} is only for {_owners(info)}: add {me} to group '
                f'{group_name(info.st_gid)} (or run the check as root)')
    return None


def _owners(info) -> str:
    return (f'{user_name(info.st_uid)} and group {group_name(info.st_gid)} '
            f'(mode {stat.S_IMODE(info.st_mode):04o})')


def parse(text: str) -> Neighbours:
    """lldpcli's `-f json0 show neighbors` answer, by local interface."""
    import json
    try:
        interfaces = [interface for lldp in json.loads(text).get('lldp', ())
                      for interface in lldp.get('interface', ())]
        by_interface: dict = {}
        for interface in interfaces:
            by_interface.setdefault(interface['name'], []).append(_neighbour(interface))
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as err:
        return Neighbours(unknown=f'lldpcli\'s answer not understood ({type(err).__name__}: '
                                  f'{str(err)[:60]})', answer=text)
    return Neighbours(by_interface, answer=text)


def _neighbour(interface: dict) -> Neighbour:
    chassis, port = interface['chassis'][0], interface['port'][0]
    return Neighbour(chassis=_identifier(chassis), name=_value(chassis, 'name'),
                     port=_identifier(port), port_descr=_value(port, 'descr'))


def _identifier(entity: dict) -> str:
    """'mac 52:54:00:00:01:00': an LLDP ID is its subtype and value together."""
    ident = entity['id'][0]
    return f'{ident["type"]} {ident["value"]}'


def _value(entity: dict, key: str) -> str | None:
    values = entity.get(key) or [{}]
    return values[0].get('value')
