"""GLib key files as g_key_file_load_from_data reads them (NetworkManager's format).

Not configparser, which differs on nearly every point: only `#` starts a
comment; any other line that is neither `[group]` nor `key=value` (a `;`
line included) makes GLib reject the whole file; whitespace before a line,
around the key and before the value is stripped, not after it; keys are
case-sensitive; a duplicate key keeps the last value; a repeated group is
merged; `key[locale]` is ignored.
"""
from __future__ import annotations

ESCAPES = {'s': ' ', 'n': '\n', 't': '\t', 'r': '\r', '\\': '\\'}


class Rejected(ValueError):
    """GLib would refuse the file; the text names the line."""


def parse(text: str) -> dict:
    """{group: {key: (value, line)}}; raises Rejected where GLib would."""
    groups: dict = {}
    current = None
    for number, raw in enumerate(text.split('\n'), 1):
        line = raw.lstrip()
        if not line or line.startswith('#'):
            continue
        if line.startswith('['):
            if not line.rstrip().endswith(']') or len(line.rstrip()) < 3:
                raise Rejected(f'line {number}: invalid group header')
            current = groups.setdefault(line.rstrip()[1:-1], {})
            continue
        key, eq, value = line.partition('=')
        key = key.strip()
        if not eq or not key:
            raise Rejected(f'line {number}: neither [group] nor key=value')
        if current is None:
            raise Rejected(f'line {number}: key outside any group')
        if '[' in key:
            continue  # a translation: key[locale]
        current[key] = (unescape(value.lstrip()), number)
    return groups


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == '\\' and i + 1 < len(value) and value[i + 1] in ESCAPES:
            out.append(ESCAPES[value[i + 1]])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return ''.join(out)


def get(groups: dict, group: str, key: str, default=None):
    return groups.get(group, {}).get(key, (default, None))[0]


def boolean(value, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in ('true', '1', 'yes')
