"""Where the OVS answers come from: ovs-vswitchd's control socket, or a capture.

Live, ovs-vswitchd writes its pid to <rundir>/ovs-vswitchd.pid and listens
on <rundir>/ovs-vswitchd.<pid>.ctl (srwxr-x--- root: root only). The rundir
is /var/run/openvswitch, or $OVS_RUNDIR as for ovs-appctl; under --root DIR
it is DIR/var/run/openvswitch. No pidfile: no OVS, and nothing else is
touched. The socket speaks JSON-RPC 1.0 (OVS's unixctl): the four commands
without arguments answer for every bond at once, so a run costs one
connection and four small requests, sent at once, whatever the number of
bonds; ovs-appctl would cost a fork and exec per command, each waiting for
the daemon's main loop (docs/ovs.md, "Reading").

A capture (--capture) keeps the four answers as files in DIR/ovs-appctl/,
or, where they could not be read, the reason in DIR/ovs-appctl/error, so the
replay judges the same as the run that captured them.
"""
from __future__ import annotations

import errno
import os

COMMANDS = ('bond/list', 'bond/show', 'lacp/show', 'lacp/show-stats')
RUNDIR = 'var/run/openvswitch'
CAPTURED = 'ovs-appctl'
MAX_ANSWER = 16 * 1024 * 1024  # bytes; a bond/show of hundreds of bonds is < 1 MiB
SUN_PATH_MAX = 107  # sockaddr_un.sun_path, less its NUL
DENIED = (errno.EACCES, errno.EPERM)


class OvsError(Exception):
    """OVS runs (or ran) here but its bonds cannot be read: `kind` is
    'needs-root' (the socket is root's) or 'unreadable'; str() says why."""

    def __init__(self, kind: str, text: str):
        super().__init__(text)
        self.kind = kind


def captured_file(command: str) -> str:
    return f'{CAPTURED}/{command.replace("/", "-")}'


def rundir(root: str, env=os.environ) -> str:
    if root in ('/', '') and env.get('OVS_RUNDIR'):
        return env['OVS_RUNDIR']
    return os.path.join(root, RUNDIR)


def pidfile(root: str, env=os.environ) -> str:
    """Where ovs-vswitchd writes its pid: without it, OVS does not run."""
    return os.path.join(rundir(root, env), 'ovs-vswitchd.pid')


def answers(root: str, env=os.environ) -> dict | None:
    """{command: answer text} for COMMANDS; None where OVS does not run.
    Raises OvsError where it runs but cannot be read."""
    if root not in ('/', '') and os.path.isdir(os.path.join(root, CAPTURED)):
        return replay(root)
    socket_path = control_socket(rundir(root, env))
    return None if socket_path is None else ask(socket_path, COMMANDS)


def replay(root: str) -> dict:
    """The answers a capture kept (a missing one counts as empty: an older capture)."""
    error = _captured(root, f'{CAPTURED}/error')
    if error is not None:
        kind, _, why = error.strip().partition(': ')
        raise OvsError(kind if kind in ('needs-root', 'unreadable') else 'unreadable', why)
    return {command: _captured(root, captured_file(command)) or '' for command in COMMANDS}


def _captured(root: str, relpath: str) -> str | None:
    """A captured file's text, bounded, without blocking on a FIFO planted in
    the tree; None where it is absent."""
    path = os.path.join(root, relpath)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        try:
            chunks, size = [], 0
            while size <= MAX_ANSWER:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(fd)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise OvsError('unreadable', f'cannot read {path}: {err.strerror}') from None
    return b''.join(chunks)[:MAX_ANSWER].decode('utf-8', 'surrogateescape')


def control_socket(directory: str) -> str | None:
    """The control socket the pidfile names; None without a pidfile."""
    pidfile = os.path.join(directory, 'ovs-vswitchd.pid')
    try:
        fd = os.open(pidfile, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        return None
    except OSError as err:
        if err.errno == errno.ENOTDIR:
            return None
        raise _error(err, pidfile) from None
    try:
        text = os.read(fd, 64).decode('ascii', 'replace').strip()
    finally:
        os.close(fd)
    if not text.isdigit():
        raise OvsError('unreadable', f'{pidfile} holds no pid')
    return os.path.join(directory, f'ovs-vswitchd.{int(text)}.ctl')


def _error(err: OSError, path: str) -> OvsError:
    if err.errno in DENIED:
        return OvsError('needs-root', f'{path}: {err.strerror}')
    if err.errno in (errno.ENOENT, errno.ECONNREFUSED):
        return OvsError('unreadable', f'{path}: {err.strerror} (ovs-vswitchd not running, '
                                      'its pidfile left behind?)')
    return OvsError('unreadable', f'{path}: {err.strerror}')


def ask(path: str, commands) -> dict:
    """{command: answer} over one connection to the unixctl socket at `path`."""
    import socket  # only where OVS runs
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    directory = None
    try:
        if len(os.fsencode(path)) > SUN_PATH_MAX:  # as ovs-appctl: reach it by its directory
            directory = os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY)
            sock.connect(f'/proc/self/fd/{directory}/{os.path.basename(path)}')
        else:
            sock.connect(path)
        return Client(sock, path).call_all(commands)
    except OSError as err:
        raise _error(err, path) from None
    finally:
        sock.close()
        if directory is not None:
            os.close(directory)


class Client:
    """JSON-RPC 1.0 requests and their replies on a connected socket."""

    def __init__(self, sock, path: str):
        import json  # only where OVS runs
        self.json = json
        self.sock = sock
        self.path = path
        self.buffer = b''
        self.next_id = 0

    def call_all(self, methods) -> dict:
        """{method: the reply's result text} of requests without parameters,
        sent at once: ovs-vswitchd serves what a connection sent in one pass of
        its main loop, which on a busy daemon is most of the cost (docs/ovs.md).
        A reply with an error is an empty answer (lacp/show-stats of a host
        without LACP bonds answers nothing)."""
        ids = {}
        for method in methods:
            self.next_id += 1
            ids[self.next_id] = method
        self.sock.sendall(b''.join(self.json.dumps(
            {'id': id_, 'method': method, 'params': []}).encode() for id_, method in ids.items()))
        answers = {}
        while len(answers) < len(ids):
            reply = self._reply()
            method = ids.get(reply.get('id')) if isinstance(reply, dict) else None
            if method is None or method in answers:
                raise OvsError('unreadable', f'{self.path}: not a reply to what was asked')
            result = reply.get('result')
            answers[method] = result if isinstance(result, str) else ''
        return answers

    def _reply(self):
        decoder = self.json.JSONDecoder()
        while True:
            text = self.buffer.decode('utf-8', 'surrogateescape').lstrip()
            if text:
                try:
                    reply, end = decoder.raw_decode(text)
                except ValueError:
                    pass
                else:
                    self.buffer = text[end:].encode('utf-8', 'surrogateescape')
                    return reply
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OvsError('unreadable', f'{self.path}: connection closed mid-reply')
            self.buffer += chunk
            if len(self.buffer) > MAX_ANSWER:
                raise OvsError('unreadable', f'{self.path}: reply over {MAX_ANSWER} bytes')


def capture(system, tree) -> list[str]:
    """--capture: the answers as files in the capture.CaptureTree `tree` (replay()
    reads them), or why they could not be had; each member netdev's
    carrier_down_count where OVS counts nothing."""
    try:
        found = answers(system.root)
    except OvsError as err:
        tree.write_file(f'{CAPTURED}/error', f'{err.kind}: {err}\n')
        return [f'{CAPTURED}: {err}']
    if found is None:
        return []
    for command, text in found.items():
        tree.write_file(captured_file(command), text)
    from ..ifname import valid_ifname
    from .parse import parse_list, parse_stats, sections
    counted = {name for lines in sections(found['lacp/show-stats'], ' statistics ----').values()
               for name in parse_stats(lines)}  # LACP members: OVS counts their failures
    unreadable = []
    for _, members in parse_list(found['bond/list']).values():
        for name in (m for m in members if valid_ifname(m) and m not in counted):
            relpath = f'sys/class/net/{name}/carrier_down_count'
            text = system.read_optional(relpath)
            if text is None:
                unreadable.append(f'{relpath}: not readable here')
            else:
                tree.write_file(relpath, text + '\n')
    return unreadable
