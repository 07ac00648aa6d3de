"""Linux interface names: the one rule for names from arguments and from files.

The kernel accepts 1-15 bytes, no '/', ':' or whitespace, not '.' or '..'.
Checking every name before it becomes part of a path also blocks path
traversal through -b or a hostile captured tree.
"""
import re

_IFNAME = re.compile(r'[^/:\s\x00]{1,15}')


def valid_ifname(name: str) -> bool:
    return (bool(_IFNAME.fullmatch(name)) and name not in ('.', '..')
            and len(name.encode('utf-8', 'surrogateescape')) <= 15)
