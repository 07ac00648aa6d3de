"""Command line: parse and validate arguments, then run the check.

Only argparse is imported until the arguments are valid, so -h and -V
cost no more than starting Python. Every usage error is UNKNOWN (exit 3),
not argparse's exit 2, which Nagios would read as CRITICAL.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from collections import namedtuple

from . import __version__
from .ifname import valid_ifname

UNKNOWN = 3
DURATION = re.compile(r'(\d+)([smhd]?)')
CONFIG_SOURCES = ('auto', 'ifcfg', 'nm', 'netplan', 'networkd', 'ifupdown', 'ifupdown2',
                  'wicked', 'modprobe')
SECONDS = {'': 1, 's': 1, 'm': 60, 'h': 3600, 'd': 86400}


class UsageError(Exception):
    pass


class StoreOnce(argparse.Action):
    """The default action: a single-valued option given twice is a usage
    error (option order never matters, so neither may win silently)."""

    def __call__(self, parser, namespace, values, option_string=None):
        if getattr(self, 'given', False):
            raise argparse.ArgumentError(self, 'given twice')
        self.given = True
        setattr(namespace, self.dest, values)


class Parser(argparse.ArgumentParser):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.register('action', None, StoreOnce)

    def error(self, message):
        raise UsageError(message)

    def exit(self, status=0, message=None):
        # -h and -V: not a check result, so UNKNOWN like the C plugins do
        if message:
            sys.stderr.write(message)
        sys.exit(UNKNOWN)


def usage_exit(message: str):
    print(f'BONDING UNKNOWN - {message}\nUsage: check_bonding [-b BOND] [-p IFACE] [-m MODE] '
          f'[-w RANGE] [-c RANGE] [-v]... (see check_bonding --help)')
    sys.exit(UNKNOWN)


def duration(text: str) -> int:
    """Seconds of '30m', '2h', '1d', '90s' or '86400'."""
    match = DURATION.fullmatch(text.strip())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"invalid duration '{text}' (e.g. 30m, 2h, 1d, 86400)")
    return int(match.group(1)) * SECONDS[match.group(2)]


def positive_int(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) <= 3600:
        raise argparse.ArgumentTypeError(f"invalid timeout '{text}' (1..3600 seconds)")
    return int(text)


def parser() -> Parser:
    p = Parser(prog='check_bonding', allow_abbrev=False, description=(
        'Nagios/Icinga plugin: is a Linux bonding interface really redundant? '
        'Reads /proc/net/bonding and sysfs; reports slaves up, the active slave, '
        'link failures since the last run, 802.3ad and configuration problems.'),
        epilog='IFACE lists are comma-separated; BOND=... applies to one bond only. '
               'RANGE is a Nagios range (e.g. 2: means "at least 2"). Exit codes: '
               '0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for usage errors, -h, -V).')
    p.add_argument('-b', '--bond', action='append', default=[], metavar='NAME',
                   help='bond to check (repeatable); default: every bond found')
    p.add_argument('-x', '--exclude', action='append', default=[], metavar='NAME',
                   help='bond not to check (repeatable)')
    p.add_argument('-p', '--primary', action='append', default=[], metavar='[BOND=]IFACE[,IFACE]',
                   help="acceptable active slave(s); default: the bond's own primary")
    p.add_argument('-m', '--mode', metavar='MODE',
                   help='expected mode, name or number (active-backup or 1, 802.3ad or 4, ...)')
    p.add_argument('--slaves', action='append', default=[], metavar='[BOND=]IFACE,IFACE',
                   help='the exact set of slaves the bond must have')
    p.add_argument('-w', '--warning', metavar='RANGE',
                   help='slaves up outside RANGE is WARNING; default: all enslaved slaves up')
    p.add_argument('-c', '--critical', metavar='RANGE',
                   help='slaves up outside RANGE is CRITICAL; default: 1: (at least one)')
    p.add_argument('--root', default='/', metavar='DIR',
                   help='read DIR/proc and DIR/sys instead of the live system')
    state = p.add_argument_group('flap detection (stored baselines)')
    state.add_argument('--failure-window', type=duration, default=3600, metavar='DURATION',
                       help='count new link failures over DURATION (30m, 2h, 1d, 86400; '
                            'default 1h)')
    state.add_argument('--failures-warning', default='0', metavar='RANGE',
                       help='new link failures in the window outside RANGE is WARNING '
                            '(default 0: any failure)')
    state.add_argument('--failures-critical', metavar='RANGE',
                       help='new link failures in the window outside RANGE is CRITICAL '
                            '(default: never)')
    state.add_argument('--state-dir', metavar='DIR',
                       help='where baselines live (default: $STATE_DIRECTORY, '
                            '/var/lib/check_bonding if writable, else '
                            '$XDG_STATE_HOME/check_bonding or ~/.local/state/check_bonding)')
    state.add_argument('--reset', action='store_true',
                       help='accept the current counters as the new baseline')
    state.add_argument('--no-state', action='store_true',
                       help='store nothing; disables flap detection')
    p.add_argument('--capture', metavar='DIR',
                   help='do not check: copy the bonding files of the bonds selected into '
                        'DIR, laid out for --root DIR (for bug reports and test fixtures)')
    drift = p.add_argument_group('config drift (the running bond against the next boot)')
    drift.add_argument('--config-drift', action='store_true',
                       help='also compare each bond with the configuration the next boot '
                            'applies (ifcfg, NetworkManager, netplan, systemd-networkd, '
                            'ifupdown, ifupdown2, wicked, modprobe); with --capture, copy '
                            'that configuration too')
    drift.add_argument('--config-source', choices=CONFIG_SOURCES, metavar='SOURCE',
                       help='read only this source: ' + ', '.join(CONFIG_SOURCES) +
                            ' (default auto: the network managers enabled)')
    p.add_argument('-t', '--timeout', type=positive_int, default=10, metavar='SECONDS',
                   help='UNKNOWN after SECONDS (default 10)')
    p.add_argument('-v', '--verbose', action='count', default=0,
                   help='-v a line per bond, -vv per slave, -vvv what was read from where')
    p.add_argument('-V', '--version', action='version', version=f'check_bonding {__version__}')
    return p


class Options(namedtuple('Options', 'bonds excluded primaries mode expected_slaves '
                                   'warning critical root failure_window failures_warning '
                                   'failures_critical state_dir reset capture timeout verbose '
                                   'config_drift config_source')):
    """What the command line asks for, validated: the one record the check reads.

    bonds/excluded: names (-b/-x); primaries, expected_slaves: {'' or bond:
    tuple of names} (-p, --slaves; BOND= beats the plain form); mode: a kernel
    mode name or None; warning ... failures_critical: range texts or None;
    state_dir: None with --no-state; config_drift, config_source: --config-drift
    and its source ('auto' unless forced)."""
    __slots__ = ()


def parse_args(argv=None) -> Options:
    """The command line as Options; a usage error exits UNKNOWN with a usage line."""
    try:
        return validate(parser().parse_args(argv))
    except (UsageError, argparse.ArgumentTypeError) as err:
        usage_exit(str(err))


def validate(args: argparse.Namespace) -> Options:
    """Reject what argparse cannot (bad names, modes, ranges, BOND= forms) and
    build the Options record; the namespace is not changed."""
    bonds, excluded = bond_names(args.bond, args.exclude)
    for option in ('warning', 'critical', 'failures_warning', 'failures_critical'):
        check_range(getattr(args, option), '--' + option.replace('_', '-'))
    for option in ('root', 'capture', 'state_dir'):
        if getattr(args, option) == '':
            raise UsageError(f"--{option.replace('_', '-')} needs a directory")
    return Options(
        bonds=bonds, excluded=excluded,
        primaries=per_bond(args.primary, '--primary', bonds, excluded),
        mode=kernel_mode(args.mode),
        expected_slaves=per_bond(args.slaves, '--slaves', bonds, excluded),
        warning=args.warning, critical=args.critical, root=args.root,
        failure_window=args.failure_window, failures_warning=args.failures_warning,
        failures_critical=args.failures_critical, state_dir=state_dir(args),
        reset=args.reset, capture=args.capture, timeout=args.timeout, verbose=args.verbose,
        config_drift=args.config_drift, config_source=config_source(args))


def config_source(args: argparse.Namespace) -> str:
    if args.config_source and not args.config_drift:
        raise UsageError('--config-source needs --config-drift')
    return args.config_source or 'auto'


def bond_names(bonds: list, excluded: list) -> tuple:
    """-b and -x: valid interface names, none in both."""
    for name in bonds + excluded:
        if not valid_ifname(name):
            raise UsageError(f"invalid interface name '{name}' (1-15 characters, "
                             "no '/', ':' or whitespace)")
    both = sorted(set(bonds) & set(excluded))
    if both:
        raise UsageError(f"-b and -x both name {', '.join(both)}")
    return tuple(bonds), tuple(excluded)


def kernel_mode(text: str | None) -> str | None:
    """-m as a kernel mode name."""
    if text is None:
        return None
    from .parse import mode_name
    if mode_name(text) is None:
        raise UsageError(f"unknown mode '{text}' (balance-rr, active-backup, "
                         "balance-xor, broadcast, 802.3ad, balance-tlb, balance-alb or 0-6)")
    return mode_name(text)


def check_range(spec: str | None, option: str) -> None:
    """A Nagios range, as nagiosplugin reads it; an empty one would silently
    remove the alarm."""
    if spec is None:
        return
    if not spec.strip():
        raise UsageError(f'empty range for {option} (e.g. 2: or @0:1)')
    import nagiosplugin
    try:
        nagiosplugin.Range(spec)
    except ValueError:
        raise UsageError(f"invalid range '{spec}' for {option} (e.g. 2: or @0:1)") from None


def state_dir(args: argparse.Namespace) -> str | None:
    """--state-dir, else the default; None with --no-state."""
    if args.reset and args.no_state:
        raise UsageError('--reset and --no-state contradict each other')
    if args.no_state:
        return None
    if args.state_dir is None:
        from .store import default_state_dir
        return default_state_dir()
    return args.state_dir


def per_bond(values, option, bonds, excluded) -> dict:
    """{'': default tuple, 'bond0': tuple, ...} from [BOND=]IFACE,IFACE values."""
    result = {}
    for value in values:
        bond, equals, ifaces = value.partition('=')
        if not equals:
            bond, ifaces = '', value
        names = ifaces.split(',')
        if not all(valid_ifname(n) and '=' not in n for n in names) or (
                equals and not valid_ifname(bond)):
            raise UsageError(f"invalid {option} '{value}' (expected [BOND=]IFACE[,IFACE...])")
        if bond and (bonds and bond not in bonds or bond in excluded):
            raise UsageError(f"{option} '{value}' names {bond}, which is not checked")
        if bond in result:
            raise UsageError(f'{option} given twice for {bond or "all bonds"}')
        result[bond] = tuple(names)
    return result


def main(argv=None):
    options = parse_args(argv)
    if options.capture:
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


def run_capture(options: Options):
    """--capture: exit 0 when the tree is written, 3 when it cannot be."""
    from .capture import capture
    from .system import System
    system = System(options.root)
    bonds, _ = system.bonds_to_check(options.bonds, options.excluded, keep_idle=True)
    try:
        skipped = capture(system, bonds, options.capture,
                          options.config_source if options.config_drift else None)
    except OSError as err:
        print(f'check_bonding: cannot capture into {err.filename or options.capture}: '
              f'{err.strerror}')
        sys.exit(UNKNOWN)
    print(f'captured {", ".join(bonds) or "no bonds"} into {options.capture}'
          f' ({len(skipped)} unreadable files skipped)')
    for line in skipped:
        print(f'  skipped {line}')
    sys.exit(0)
