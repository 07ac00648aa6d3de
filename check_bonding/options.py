"""The command line as one record: the parser, its validation, and Options.

process_arguments() of the C plugins: parse_args() turns argv into the one
Options record the check reads; nothing reads argv after it. Only argparse
is imported until the arguments are valid, so -h and -V cost no more than
starting Python. Every usage error is UNKNOWN (exit 3), not argparse's
exit 2, which Nagios would read as CRITICAL.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from collections import namedtuple

from . import __version__
from .bond_values import (UsageError, expected_options, finding_states, min_speeds, per_bond)
from .ifname import valid_bond_name

# Copies, so that -h needs nothing but argparse (tests/test_options.py pins them to
# their originals): the --expect keys (expect.KEYS) and the configuration sources
# (drift.predict.SOURCES).
EXPECT_KEYS = ('ad_actor_sys_prio', 'ad_actor_system', 'ad_select', 'ad_user_port_key',
               'all_slaves_active', 'arp_all_targets', 'arp_interval', 'arp_ip_target',
               'arp_missed_max', 'arp_validate', 'downdelay', 'fail_over_mac', 'lacp_active',
               'lacp_rate', 'lp_interval', 'miimon', 'min_links', 'ns_ip6_target',
               'num_grat_arp', 'num_unsol_na', 'packets_per_slave', 'peer_notif_delay',
               'primary', 'primary_reselect', 'resend_igmp', 'tlb_dynamic_lb', 'updelay',
               'use_carrier', 'xmit_hash_policy')

UNKNOWN = 3
DURATION = re.compile(r'(\d+)([smhd]?)')
CONFIG_SOURCES = ('auto', 'ifcfg', 'nm', 'netplan', 'networkd', 'ifupdown', 'ifupdown2',
                  'wicked', 'modprobe')
SECONDS = {'': 1, 's': 1, 'm': 60, 'h': 3600, 'd': 86400}
OVS_MODES = ('active-backup', 'balance-slb', 'balance-tcp')  # ovs.parse.MODES
KINDS = ('all', 'kernel', 'ovs')


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
        epilog='IFACE lists are comma-separated; BOND=... applies to one bond only, the '
               'plain form to every bond checked. RANGE is a Nagios range (e.g. 2: means '
               '"at least 2"). Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for '
               'usage errors, -h, -V).')
    p.add_argument('-b', '--bond', action='append', default=[], metavar='NAME',
                   help='bond to check (repeatable), ovs:NAME for an Open vSwitch bond; '
                        'default: every bond in /proc/net/bonding (else sysfs '
                        'bonding_masters) but those never set up, and every Open vSwitch bond')
    p.add_argument('--kind', choices=KINDS, metavar='KIND',
                   help='which bonds to look for: kernel (the bonding driver), ovs (Open '
                        'vSwitch, read from ovs-vswitchd: root only) or all (default: both '
                        'where both exist)')
    p.add_argument('-x', '--exclude', action='append', default=[], metavar='NAME',
                   help='bond not to check (repeatable)')
    p.add_argument('-p', '--primary', action='append', default=[], metavar='[BOND=]IFACE[,IFACE]',
                   help="acceptable active slave(s), for every bond or (BOND=) one; default: "
                        "the bond's own primary, as primary_reselect chooses it")
    p.add_argument('-m', '--mode', metavar='MODE',
                   help='expected mode, name or number: balance-rr (0), active-backup (1), '
                        'balance-xor (2), broadcast (3), 802.3ad (4), balance-tlb (5), '
                        'balance-alb (6); Open vSwitch: active-backup, balance-slb, '
                        'balance-tcp')
    p.add_argument('--slaves', action='append', default=[], metavar='[BOND=]IFACE,IFACE',
                   help='the exact set of slaves the bond must have')
    p.add_argument('-w', '--warning', metavar='RANGE',
                   help='slaves up outside RANGE is WARNING; default N: (all N enslaved '
                        'slaves up)')
    p.add_argument('-c', '--critical', metavar='RANGE',
                   help='slaves up outside RANGE is CRITICAL; default 1: (no slave up is '
                        'always CRITICAL)')
    p.add_argument('--min-speed', action='append', default=[], metavar='[BOND=]MBPS',
                   help='an up slave slower than MBPS Mb/s is WARNING (a 10G pair that '
                        'renegotiated to 1G)')
    p.add_argument('--expect', action='append', default=[], metavar='[BOND=]KEY=VALUE',
                   help='the running option KEY (sysfs bonding/KEY) must be VALUE, e.g. '
                        'lacp_rate=fast, xmit_hash_policy=layer3+4, miimon=100 (repeatable; '
                        'names or numbers as the kernel takes them): ' + ', '.join(EXPECT_KEYS))
    p.add_argument('--state', action='append', default=[], metavar='[BOND=]NAME=STATE',
                   help='report finding NAME (see --list-findings) as STATE: ok, warning, '
                        'critical or unknown (repeatable)')
    p.add_argument('--list-findings', action='store_true',
                   help='do not check: list every finding with its default state and meaning')
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
                        'DIR (new or empty), laid out for --root DIR (for bug reports and '
                        'test fixtures)')
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
                   help='UNKNOWN after SECONDS, 1-3600 (default 10)')
    p.add_argument('-v', '--verbose', action='count', default=0,
                   help='-v a line per bond and each finding, -vv per slave, -vvv what was '
                        'read from where')
    p.add_argument('-V', '--version', action='version', version=f'check_bonding {__version__}',
                   help='show the version and exit (UNKNOWN, 3)')
    return p


class Options(namedtuple('Options', 'bonds excluded primaries mode expected_slaves '
                                   'min_speed expected_options states findings_only '
                                   'warning critical root failure_window failures_warning '
                                   'failures_critical state_dir reset capture_dir timeout verbose '
                                   'config_drift config_source kind state_dir_note')):
    """What the command line asks for, validated: the one record the check reads.

    bonds/excluded: names (-b/-x); primaries, expected_slaves: {'' or bond:
    tuple of names} (-p, --slaves; BOND= beats the plain form); min_speed:
    {'' or bond: Mb/s}; expected_options: {'' or bond: {key: value}}
    (--expect, normalised by expect.py); states: {('' or bond, finding):
    nagiosplugin state} (--state); mode: a kernel mode name or None;
    warning ... failures_critical: range texts or None; state_dir: None with
    --no-state; state_dir_note: why the default state_dir is not the system's
    /var/lib/check_bonding, or None; config_drift, config_source:
    --config-drift and its source ('auto' unless forced); kind: 'all',
    'kernel' or 'ovs' (--kind). Modes that do not check: findings_only
    (--list-findings), capture_dir (--capture DIR)."""
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
    if not os.path.isdir(args.root):
        raise UsageError(f'--root {args.root}: not a directory')
    return Options(
        bonds=bonds, excluded=excluded,
        primaries=per_bond(args.primary, '--primary', bonds, excluded),
        mode=kernel_mode(args.mode),
        expected_slaves=per_bond(args.slaves, '--slaves', bonds, excluded),
        min_speed=min_speeds(args.min_speed, bonds, excluded, args.kind),
        expected_options=expected_options(args.expect, bonds, excluded, args.kind),
        states=finding_states(args.state, bonds, excluded), findings_only=args.list_findings,
        warning=args.warning, critical=args.critical, root=args.root,
        failure_window=args.failure_window, failures_warning=args.failures_warning,
        failures_critical=args.failures_critical, **state_dir(args),
        reset=args.reset, capture_dir=args.capture, timeout=args.timeout, verbose=args.verbose,
        config_drift=args.config_drift, config_source=config_source(args),
        kind=bond_kind(args.kind, bonds))


def config_source(args: argparse.Namespace) -> str:
    if args.config_source and not args.config_drift:
        raise UsageError('--config-source needs --config-drift')
    return args.config_source or 'auto'


def bond_names(bonds: list, excluded: list) -> tuple:
    """-b and -x: valid interface names, none in both."""
    for name in bonds + excluded:
        if not valid_bond_name(name):
            raise UsageError(f"invalid interface name '{name}' (1-15 bytes, not . or .., "
                             "no '/', ':' or whitespace; ovs:NAME for an Open vSwitch bond)")
    both = sorted(set(bonds) & set(excluded))
    if both:
        raise UsageError(f"-b and -x both name {', '.join(both)}")
    return tuple(bonds), tuple(excluded)


def kernel_mode(text: str | None) -> str | None:
    """-m as a kernel mode name."""
    if text is None:
        return None
    from .parse import mode_name
    if mode_name(text) is None and text not in OVS_MODES:
        raise UsageError(f"unknown mode '{text}' (balance-rr, active-backup, "
                         "balance-xor, broadcast, 802.3ad, balance-tlb, balance-alb or 0-6; "
                         "Open vSwitch: balance-slb, balance-tcp)")
    return mode_name(text) or text


def bond_kind(kind: str | None, bonds: tuple) -> str:
    """--kind, else 'all'; -b naming a bond of the other kind contradicts it."""
    from .ifname import is_ovs
    kind = kind or 'all'
    wrong = [b for b in bonds if kind != 'all' and is_ovs(b) != (kind == 'ovs')]
    if wrong:
        raise UsageError(f"-b {wrong[0]} is not a bond of --kind {kind}")
    return kind


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


def state_dir(args: argparse.Namespace) -> dict:
    """state_dir: --state-dir, else the default, None with --no-state; and
    state_dir_note: why the default is not the system's directory, or None."""
    if args.reset and args.no_state:
        raise UsageError('--reset and --no-state contradict each other')
    if args.no_state or args.state_dir is not None:
        return {'state_dir': None if args.no_state else args.state_dir, 'state_dir_note': None}
    from .state_dir import choose_state_dir
    directory, note = choose_state_dir()
    return {'state_dir': directory, 'state_dir_note': note}

