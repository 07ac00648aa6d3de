"""The entry point: parse the command line (options.py), then check, list the
findings or capture, and exit with the plugin's code."""
from __future__ import annotations

import os
import sys

from .options import UNKNOWN, Options, parse_args


def main(argv=None):
    options = parse_args(argv)
    if options.findings_only:
        list_findings()
    if options.capture_dir:
        run_capture(options)
    from .plugin import run
    try:
        run(options)
    except SystemExit as done:
        # Everything is printed and stored: skip the interpreter's teardown,
        # which costs more (~7 ms) than this plugin's whole run.
        try:
            sys.stdout.flush()
        except OSError:
            pass
        os._exit(done.code if isinstance(done.code, int) else UNKNOWN)


def list_findings():
    """--list-findings: the table of findings.FINDINGS, then exit 0."""
    from .findings import FINDINGS
    width = max(map(len, FINDINGS))
    print(f'{"FINDING":{width}}  {"DEFAULT":8}  MEANING')
    for name, kind in FINDINGS.items():
        print(f'{name:{width}}  {kind.state.text.upper():8}  {kind.meaning}')
    sys.exit(0)


def run_capture(options: Options):
    """--capture: exit 0 when the tree is written, 3 when it cannot be."""
    from .capture import capture, namespace_notes
    from .system import System
    system = System(options.root)
    bonds, _ = system.bonds_to_check(options.bonds, options.excluded, keep_idle=True)
    try:
        skipped = capture(system, bonds, options.capture_dir,
                          options.config_source if options.config_drift else None)
    except OSError as err:
        print(f'check_bonding: cannot capture into {err.filename or options.capture_dir}: '
              f'{err.strerror}')
        sys.exit(UNKNOWN)
    print(f'captured {", ".join(bonds) or "no bonds"} into {options.capture_dir}'
          f' ({len(skipped)} unreadable files skipped)')
    for line in skipped:
        print(f'  skipped {line}')
    for line in namespace_notes(system, bonds):
        print(f'  note: {line}')
    sys.exit(0)
