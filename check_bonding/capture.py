"""--capture DIR: copy the bonding-related proc and sysfs files into DIR,
laid out so that `check_bonding --root DIR` replays them.

Users attach the tree to bug reports; the kernel test bed uses it to
refresh the fixtures of the unit tests from the real driver.

Root often captures into /tmp, where another user may have prepared the
directory with symlinks. CaptureTree therefore takes only a new or empty
directory of its own, and creates everything in it relative to open
directory descriptors with O_NOFOLLOW: nothing is ever written outside DIR.
"""
from __future__ import annotations

import os

from .ifname import split_names
from .system import ENSLAVEMENTS, PROC_LIMIT, System

NIC_FILES = ('operstate', 'carrier', 'speed', 'duplex', 'mtu', 'address', 'flags',
             'carrier_changes', 'carrier_up_count', 'carrier_down_count')
NOFOLLOW_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class CaptureError(OSError):
    """DIR cannot be used for a capture."""


class CaptureTree:
    """A capture directory that is written without following any symlink in it."""

    def __init__(self, target: str):
        self.target = target
        try:
            os.mkdir(target, 0o755)
        except FileExistsError:
            pass
        try:
            self.fd = os.open(target, NOFOLLOW_DIR)
        except OSError as err:
            raise CaptureError(err.errno, f'{err.strerror} (a new or empty directory '
                                          f'of your own, not a symlink)', target) from None
        info = os.fstat(self.fd)
        if info.st_uid != os.geteuid() or os.listdir(self.fd):
            os.close(self.fd)
            raise CaptureError(0, 'not a new or empty directory of your own', target)

    def close(self) -> None:
        os.close(self.fd)

    def directory(self, reldir: str) -> int:
        """An open descriptor of DIR/reldir, made where missing; the caller closes it."""
        fd = os.dup(self.fd)
        for name in filter(None, reldir.split('/')):
            if name in ('.', '..'):
                os.close(fd)
                raise CaptureError(0, 'refusing a path that leaves the capture', reldir)
            try:
                os.mkdir(name, 0o755, dir_fd=fd)
            except FileExistsError:
                pass
            try:
                child = os.open(name, NOFOLLOW_DIR, dir_fd=fd)
            finally:
                os.close(fd)
            fd = child
        return fd

    def write_file(self, relpath: str, text: str) -> None:
        parent, name = _split(relpath)
        dir_fd = self.directory(parent)
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o644, dir_fd=dir_fd)
        finally:
            os.close(dir_fd)
        with os.fdopen(fd, 'wb') as out:
            out.write(text.encode('utf-8', 'surrogateescape'))  # the bytes as they were read

    def write_link(self, relpath: str, target: str) -> None:
        """A symlink at DIR/relpath whose text is `target` (kept relative by the caller)."""
        parent, name = _split(relpath)
        dir_fd = self.directory(parent)
        try:
            os.symlink(target, name, dir_fd=dir_fd)
        finally:
            os.close(dir_fd)


def _split(relpath: str) -> tuple:
    parent, _, name = relpath.rpartition('/')
    if name in ('', '.', '..'):
        raise CaptureError(0, 'not a file name', relpath)
    return parent, name


def capture(system: System, bonds: list[str], target: str,
            drift_source: str | None = None, ovs: bool = False) -> list[str]:
    """Copy what the check reads (with --config-drift, the configuration too;
    with `ovs`, ovs-vswitchd's answers); return the files that could not be read."""
    tree = CaptureTree(target)
    try:
        unreadable = copy_bonding_files(system, bonds, tree)
        unreadable += copy_hardware_files(system, bonds, tree)
        if system.lldp is not None:  # lldpd runs, or ran where this tree was captured
            system.lldp.keep(tree)
        if drift_source is not None:
            unreadable += copy_config_files(system.root, drift_source, tree)
        if ovs:
            from .ovs.source import capture as capture_ovs
            unreadable += capture_ovs(system, tree)
        return unreadable
    finally:
        tree.close()


def copy_bonding_files(system: System, bonds: list[str], tree: CaptureTree) -> list[str]:
    """The bonding driver's files, the slaves' link files and counters."""
    tree.write_file('sys/class/net/bonding_masters', ' '.join(_masters(system, bonds)) + '\n')
    files, identities = ['proc/sys/kernel/random/boot_id'], {}
    interfaces = list(bonds)
    for bond in bonds:
        files.append(f'proc/net/bonding/{bond}')
        files += _listing(system, f'sys/class/net/{bond}/bonding')
        try:
            bonded = system.read_bond(bond)
        except (OSError, ValueError):  # listed as unreadable below, or copied as it is
            bonded = None
        for slave in bonded.slaves if bonded else []:
            interfaces.append(slave.name)
            files += _listing(system, f'sys/class/net/{slave.name}/bonding_slave')
        identities.update(system.enslavements(bonded) if bonded else {})
    if identities:
        tree.write_file(ENSLAVEMENTS, ''.join(f'{n} {i}\n' for n, i in identities.items()))
    files += [f'sys/class/net/{name}/{f}' for name in interfaces for f in NIC_FILES]
    unreadable = []
    for relpath in files + ['proc/net/dev']:
        try:
            text = (_net_dev(system, interfaces) if relpath == 'proc/net/dev'
                    else system.read(relpath, PROC_LIMIT))
        except OSError as err:  # e.g. EINVAL for carrier of a down link: skip it
            unreadable.append(f'{relpath}: {err.strerror}')
            continue
        tree.write_file(relpath, text)  # a write error is fatal: the caller says so
    return unreadable


def namespace_notes(system: System, bonds: list[str]) -> list[str]:
    """Bonds whose sysfs describes another interface of their name (another
    network namespace's sysfs): the copy has that one's files, and the replay
    judges the bond from /proc alone, as the check does."""
    notes = []
    for name in bonds:
        try:
            bond = system.read_bond(name)
        except (OSError, ValueError):
            continue
        if bond is not None and bond.sysfs_elsewhere:
            notes.append(f'{name}: sysfs shows another {name} ({bond.sysfs_elsewhere}): the '
                         'sysfs of another network namespace, copied as it is; the check '
                         'judges it from /proc alone')
    return notes


def _masters(system: System, bonds: list[str]) -> list[str]:
    """bonding_masters as the replay needs it: the bonds captured, and those
    that only sysfs lists (another network namespace's), not the others."""
    listed, _ = system.bond_names()
    masters = split_names(system.read_optional('sys/class/net/bonding_masters') or '')
    return list(dict.fromkeys([*bonds, *(n for n in masters if n not in listed)]))


def _listing(system: System, reldir: str) -> list[str]:
    try:
        return [f'{reldir}/{name}' for name in sorted(os.listdir(system.path(reldir)))]
    except OSError:
        return []


def _net_dev(system: System, interfaces: list[str]) -> str:
    """/proc/net/dev reduced to its header and the interfaces captured."""
    lines = system.read('proc/net/dev', PROC_LIMIT).splitlines(keepends=True)
    return ''.join(lines[:2] + [line for line in lines[2:]
                                if line.split(':')[0].strip() in interfaces])


# What the hardware check reads (hardware.py): per interface and per device
NET_FILES = ('ifindex', 'iflink', 'uevent', 'tun_flags')
PORT_FILES = ('dev_port', 'dev_id', 'phys_port_id', 'phys_port_name', 'phys_switch_id')
DEVICE_FILES = ('vendor', 'device', 'class', 'ari_enabled')


def copy_hardware_files(system: System, bonds: list[str], tree: CaptureTree) -> list[str]:
    """The bonds', slaves' and their lowers' class/net links (the files copied so
    far move into the directory the link names), their attributes and device,
    lower_* and master links; each device's (and a VF's PF's) links and PCI files,
    its ancestors as empty directories. Links are copied as they are, and only
    where they stay inside the tree."""
    hw = system.hardware
    sysfs = hw.sysfs
    interfaces, devices, done = list(bonds), [], set()
    for bond in bonds:
        try:
            slaves = [s.name for s in system.read_bond(bond).slaves]
        except (AttributeError, OSError, ValueError):  # no such bond, or unreadable
            slaves = []
        for slave in slaves:  # the bottom too: before 3.13 no lower_ link leads to it
            interfaces += [slave, hw.stand(slave, bond).bottom]
    while interfaces:
        name = interfaces.pop(0)
        net = sysfs.net_dir(name) if name and name not in done else None
        done.add(name)
        if net is None:
            continue
        if net != f'sys/class/net/{name}':
            _move_to_link(tree, name, net, sysfs.link_text(f'sys/class/net/{name}'))
        lowers = sysfs.listing(net, 'lower_')
        interfaces += [lower[6:] for lower in lowers]
        device = sysfs.link(f'{net}/device')
        _copy_entries(sysfs, tree, net, NET_FILES + (PORT_FILES if device else ()),
                      ('device', 'master', *lowers))
        devices += [device, sysfs.link(f'{device}/physfn')] if device else []
    for device in dict.fromkeys(filter(None, devices)):
        _copy_entries(sysfs, tree, device, DEVICE_FILES, ('subsystem', 'driver', 'physfn'))
        for name in set(sysfs.listing(f'{device}/net')) - done:  # a PF's netdevs (VF LAG)
            _copy_entries(sysfs, tree, f'{device}/net/{name}', (), ('master',))
    return [f'{relpath}: {why}' for relpath, why in sysfs.unreadable.items()]


def _move_to_link(tree: CaptureTree, name: str, net: str, target: str) -> None:
    """sys/class/net/<name> becomes the link it is on the system; what was copied
    into it moves to the directory it names."""
    parent = tree.directory(os.path.dirname(net))
    classes = tree.directory('sys/class/net')
    try:
        os.rename(name, os.path.basename(net), src_dir_fd=classes, dst_dir_fd=parent)
    except FileNotFoundError:  # a lower: nothing copied yet
        pass
    finally:
        os.close(classes)
        os.close(parent)
    tree.write_link(f'sys/class/net/{name}', target)


def _copy_entries(sysfs, tree: CaptureTree, reldir: str, files, links) -> None:
    os.close(tree.directory(reldir))  # ancestors and device directories, even when empty
    for name in files:
        text = sysfs.read(f'{reldir}/{name}')
        if text is not None:
            tree.write_file(f'{reldir}/{name}', text + '\n')
    for name in links:
        target = sysfs.link_text(f'{reldir}/{name}')
        if target is not None:
            tree.write_link(f'{reldir}/{name}', target)


# NetworkManager keyfiles can hold Wi-Fi and 802.1X secrets: only these groups are copied.
KEYFILE_GROUPS = ('connection', 'bond', 'bond-port', 'ethernet', 'match')


def copy_config_files(root: str, source: str, tree: CaptureTree) -> list[str]:
    """--config-drift: the configuration files, links and paths the drift readers
    used; keyfiles stripped of secrets and 0600, as NetworkManager wants them."""
    from .drift import files_read
    config = files_read(root, source)
    for path, data in config.read_files.items():
        text = data.decode('utf-8', 'surrogateescape')
        if '/system-connections/' in path:
            tree.write_file(path.lstrip('/'), strip_keyfile(text))
            parent, name = _split(path.lstrip('/'))
            dir_fd = tree.directory(parent)
            try:
                os.chmod(name, 0o600, dir_fd=dir_fd)
            finally:
                os.close(dir_fd)
        else:
            tree.write_file(path.lstrip('/'), text)
    for path, target in sorted(config.links.items()):
        if path not in config.read_files:
            try:
                tree.write_link(path.lstrip('/'), target)
            except FileExistsError:
                pass
    for path in sorted(config.seen - set(config.links) - set(config.read_files)):
        found = config.read(path)  # a file whose presence matters (if-pre-up.d/ifenslave)
        if found is not None:
            tree.write_file(path.lstrip('/'), found.data.decode('utf-8', 'surrogateescape'))
    return [f'{path.lstrip("/")}: {why}' for path, why, _ in config.unreadable + config.unread]


def strip_keyfile(text: str) -> str:
    """A keyfile with only the KEYFILE_GROUPS groups."""
    kept, keep = [], False
    for line in text.split('\n'):
        stripped = line.strip()
        if stripped.startswith('[') and stripped.endswith(']'):
            keep = stripped[1:-1] in KEYFILE_GROUPS
        if keep:
            kept.append(line)
    return '\n'.join(kept) + '\n'
