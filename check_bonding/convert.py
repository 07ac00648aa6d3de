"""The kernel's text values, as /proc/net/bonding and sysfs print them: numbers,
hex flags, names, speeds. Pure functions, text in, a value or None out."""
from __future__ import annotations

# What the kernel's isspace() and Python's str.strip() agree on; names may
# hold other (Unicode) spaces, so names are stripped of these only.
ASCII_WHITESPACE = ' \t\n\r\x0b\x0c'


def to_int(text: str | None) -> int | None:
    """Integer of a kernel number, None for 'N/A', 'Unknown', '' or junk."""
    try:
        value = int(text.split()[0])
    except (AttributeError, IndexError, ValueError):
        return None
    return value if 0 <= value < 2 ** 63 else None


def to_hex(text: str | None) -> int | None:
    """Integer of a sysfs hex value ('0x1003'), None where absent or junk."""
    try:
        return int(text.strip(ASCII_WHITESPACE), 16)
    except (AttributeError, ValueError):
        return None


def aggregator_id(text: str | None) -> int | None:
    """An 802.3ad aggregator id; 0 and N/A mean none."""
    return to_int(text) or None


def first_word(text: str | None) -> str | None:
    """'always' of sysfs 'always 0'; None for an absent or empty value."""
    words = (text or '').split()
    return words[0] if words else None


def speed_of(text: str | None) -> int | None:
    """Mbps of a proc or sysfs speed; 0 where the kernel does not know it.

    Kernels print 'Unknown', -1, or (old ones) 65535 for an unknown speed.
    """
    if text is None:
        return None
    value = to_int(text)
    return 0 if value is None or value == 65535 or value > 10 ** 7 else value


def value_or_none(text: str | None) -> str | None:
    """The value (an interface name, a duplex, a MAC), None where the kernel
    shows none ('', 'None', '(none)')."""
    text = (text or '').strip(ASCII_WHITESPACE)
    return None if text in ('', 'None', '(none)') else text

