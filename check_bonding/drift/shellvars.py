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


def _value(text: str) -> tuple:
    """(value, True) for a literal shell word; (None, False) where a shell would expand."""
    out, i, quote = [], 0, None
    while i < len(text):
        char = text[i]
        if quote == "'":
            if char == "'":
                quote = None
            else:
                out.append(char)
        elif char == '\\' and i + 1 < len(text) and (quote is None or text[i + 1] in '\\"$`'):
            out.append(text[i + 1])
            i += 1
        elif char == '`' or (char == '$' and i + 1 < len(text)
                             and (text[i + 1] in '({' or text[i + 1].isalnum()
                                  or text[i + 1] == '_')):
            return None, False
        elif quote == '"':
            if char == '"':
                quote = None
            else:
                out.append(char)
        elif char in '"\'':
            quote = char
        elif char.isspace():
            rest = text[i:].strip()
            if rest and not rest.startswith('#'):
                return None, False  # `A=b c` runs command c with A set
            break
        elif char in ';&|<>()':
            return None, False
        else:
            out.append(char)
        i += 1
    if quote:
        return None, False  # unterminated: the shell would read on
    return ''.join(out), True


def is_true(value) -> bool:
    """initscripts' is_true: yes, true, on, 1 (any case)."""
    return str(value or '').lower() in ('yes', 'y', 'true', 't', 'on', '1')
