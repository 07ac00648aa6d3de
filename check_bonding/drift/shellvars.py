"""Shell-variable files (initscripts, NetworkManager's ifcfg-rh, wicked): read, never sourced.

`KEY=value`, `'...'`, `"..."` (backslash escapes \\ \" \\$ \\`), an `export`
prefix and comments. A value with `$(`, a backtick or `$VAR` cannot be
evaluated without running a shell: it is UNEVALUATED, never guessed.
The last assignment wins; every assignment keeps its line number.
"""
from __future__ import annotations

import re
from collections import namedtuple

UNEVALUATED = None  # the value of a variable that needs a shell
Var = namedtuple('Var', 'value line')

_NAME = re.compile(r'(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=')


def parse(text: str) -> tuple:
    """({name: Var}, [notes]); a Var's value is a str or UNEVALUATED."""
    found, notes = {}, []
    for number, raw in enumerate(text.split('\n'), 1):
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        match = _NAME.match(line)
        if not match:
            notes.append(f'line {number}: not an assignment, ignored')
            continue
        value, ok = _value(line[match.end():])
        if not ok:
            notes.append(f'line {number}: {match.group(1)} cannot be evaluated '
                         '(command substitution or variable), value unknown')
            value = UNEVALUATED
        found[match.group(1)] = Var(value, number)
    return found, notes


_WORD = re.compile(r"""'[^']*'|"(?:\\.|[^"\\])*"|\\.|[^\s'"\\]+""")
_EXPANDS = re.compile(r'`|\$[({A-Za-z0-9_]')


def _value(text: str) -> tuple:
    """(value, True) for a literal shell word; (None, False) where a shell would expand."""
    out, pos = [], 0
    while pos < len(text) and not text[pos].isspace():
        match = _WORD.match(text, pos)
        if not match:
            return None, False  # an unterminated quote: the shell would read on
        part = match.group()
        if part[0] != "'" and _EXPANDS.search(part) or part[0] in ';&|<>()':
            return None, False
        out.append(_unquote(part))
        pos = match.end()
    rest = text[pos:].strip()
    if rest and not rest.startswith('#'):
        return None, False  # `A=b c` runs command c with A set
    return ''.join(out), True


def _unquote(part: str) -> str:
    if part[0] == "'":
        return part[1:-1]
    if part[0] == '"':
        return re.sub(r'\\([\\"$`])', r'\1', part[1:-1])
    return re.sub(r'\\(.)', r'\1', part)


def is_true(value) -> bool:
    """initscripts' is_true: yes, true, on, 1 (any case)."""
    return str(value or '').lower() in ('yes', 'y', 'true', 't', 'on', '1')
