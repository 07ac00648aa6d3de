"""The entry point: parse the command line (options.py), then check, list the
findings or capture, and exit with the plugin's code."""
from __future__ import annotations

import errno
import os
import sys

from .options import UNKNOWN, Options, parse_args


def main(argv=None):
    try:
        try:
            check(argv)
        finally:
            flush_output()
    except OSError:
        # The output cannot be delivered: its reader went away (`| head`, a
        # daemon that gave up) or its file is full. Say UNKNOWN the only way
        # left, without the traceback the interpreter's exit would print.
        os._exit(UNKNOWN)


def flush_output():
    """Write out what is buffered; an OSError means it never arrives."""
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        raise OSError(errno.EBADF, 'stdout is closed')
    sys.stdout.flush()


def check(argv):
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
        flush_output()
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
    from .ifname import is_ovs
    from .ovs.resource import wanted
    from .system import System
    system = System(options.root)
    named = [name for name in options.bonds if not is_ovs(name)]
    bonds, _ = system.bonds_to_check(named, options.excluded, keep_idle=True) \
        if wanted(options, 'kernel') else ([], None)
    try:
        skipped = capture(system, bonds, options.capture_dir,
                          options.config_source if options.config_drift else None,
                          ovs=options.kind != 'kernel')
    except OSError as err:
        print(f'check_bonding: cannot capture into {err.filename or options.capture_dir}: '
              f'{err.strerror}')
        sys.exit(UNKNOWN)
    notes = namespace_notes(system, bonds)  # of the kernel bonds
    bonds += captured_ovs_bonds(options.capture_dir)
    print(f'captured {", ".join(bonds) or "no bonds"} into {options.capture_dir}'
          f' ({len(skipped)} unreadable files skipped)')
    for line in skipped:
        print(f'  skipped {line}')
    for line in notes:
        print(f'  note: {line}')
    sys.exit(0)


def captured_ovs_bonds(directory: str) -> list:
    """The ovs:<port> names of the bonds a capture holds."""
    from .ifname import OVS_PREFIX
    from .ovs.parse import parse_list
    from .ovs.source import captured_file
    try:
        with open(os.path.join(directory, captured_file('bond/list'))) as listing:
            return [OVS_PREFIX + port for port in parse_list(listing.read())]
    except OSError:
        return []
