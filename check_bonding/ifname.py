"""Linux interface names: the one rule for names from arguments and from files.

A name is bytes to the kernel: 1-15 of them, not '.' or '..', none of '/',
':', NUL or what the kernel's isspace() calls space (ASCII whitespace and
0xA0). Anything else goes, UTF-8 or not, so names are str with
surrogateescape (as os.listdir and sys.argv give them): the bytes survive
into paths, and `shown` escapes them for output. Checking every name before
it becomes part of a path also blocks path traversal through -b or a
hostile captured tree.
"""
import re

_FORBIDDEN = re.compile(rb'[/:\x00\t\n\x0b\x0c\r \xa0]')
_UNPRINTABLE = re.compile(r'[\x00-\x1f\x7f-\x9f]')
ASCII_SPACE = re.compile(r'[\t\n\x0b\x0c\r ]+')


def name_bytes(name: str) -> bytes:
    return name.encode('utf-8', 'surrogateescape')


def valid_ifname(name: str) -> bool:
    try:
        raw = name_bytes(name)
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
        return False
    return 0 < len(raw) <= 15 and raw not in (b'.', b'..') and not _FORBIDDEN.search(raw)


# Open vSwitch bonds are named ovs:<port>: a kernel interface name can hold no
# ':', so no kernel bond can ever be taken for an OVS bond (docs/ovs.md).
OVS_PREFIX = 'ovs:'
OVS_NAME_MAX = 127  # bytes of the OVS port name; OVS sets no limit, state file names do


def valid_ovs_port(name: str) -> bool:
    """An OVS bond's port name: as an interface name, but up to OVS_NAME_MAX bytes."""
    try:
        raw = name_bytes(name)
    except UnicodeEncodeError:
        return False
    return (0 < len(raw) <= OVS_NAME_MAX and raw not in (b'.', b'..')
            and not _FORBIDDEN.search(raw.replace(b':', b'')))


def is_ovs(name: str) -> bool:
    return name.startswith(OVS_PREFIX)


def valid_bond_name(name: str) -> bool:
    """A kernel bond's interface name, or ovs:<port> for an Open vSwitch bond."""
    return valid_ovs_port(name[len(OVS_PREFIX):]) if is_ovs(name) else valid_ifname(name)


def split_names(text: str) -> list:
    """Names in a kernel list (bonding_masters, slaves): split on ASCII
    whitespace only; str.split() would also split on U+2003, which names may hold."""
    return [name for name in ASCII_SPACE.split(text) if name]


def shown(text: str) -> str:
    """`text` safe to print: bytes that are not UTF-8 and control characters
    as \\xNN escapes (a backslash as two), so the output stays valid UTF-8
    on one line and two names never print alike."""
    text = name_bytes(text.replace('\\', '\\\\')).decode('utf-8', 'backslashreplace')
    return _UNPRINTABLE.sub(lambda m: f'\\x{ord(m.group()):02x}', text)
