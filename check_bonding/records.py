"""Small immutable records built by keyword, their fields and defaults in one table.

Namedtuples, not dataclasses: importing dataclasses (and with it inspect)
would cost every run ~4 ms, a tenth of the plugin's budget.
"""
from __future__ import annotations

from collections import namedtuple


def record(typename: str, fields: dict, doc: str):
    """A namedtuple whose fields and their defaults are one visible table.
    Construct it by keyword: Bond(name='bond0', mode='active-backup')."""
    cls = namedtuple(typename, fields, defaults=tuple(fields.values()))
    cls.__doc__ = doc
    return cls
