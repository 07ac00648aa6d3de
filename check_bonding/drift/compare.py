"""The running bond against its predicted boot state, in words (design §6).

Options are compared only where the predicted mode uses them; updelay and
downdelay as the kernel stores them (whole miimon periods); a primary that
is not enslaved reads as empty, so it is reported as the missing slave.
"""
from __future__ import annotations

import fnmatch

from ..findings import found
from .model import COMPARED, applies, kernel_miimon_default
from .predict import effective


def bond_findings(name: str, definitions: list, running, context) -> list:
    """Findings for one running bond. `context`: .complete (every file of the
    sources read), .sources (what was read), .verbose."""
    if running is None:
        return []
    if not definitions:
        refused = [why for _, why, bond in context.rejected if bond in (name, None)]
        if refused:  # the file that defines it, refused by its tool
            return [found('drift-not-at-boot', f'will not come up: {refused[0]}')]
        if not context.complete:
            return []  # an unreadable file may define it: the run says so (UNKNOWN)
        if context.sources:
            return [found('drift-unconfigured', f'in no network configuration '
                                                f'({", ".join(sorted(context.sources))} read)')]
        return [found('drift-note', 'no supported network configuration found')]
    chosen, conflict = effective(definitions)
    if conflict:
        return [found('drift-two-managers', conflict)]
    findings = [found('drift-note', note) for note in chosen.notes]
    findings += [found(kind, text) for kind, text in chosen.problems]
    if chosen.boot:
        return findings + [found('drift-not-at-boot', f'will not come up: {chosen.boot}')]
    findings += option_findings(chosen, running, context.verbose)
    findings += slave_findings(chosen, running)
    if not any(f.name != 'drift-note' for f in findings):
        findings.append(found('drift-match', f'matches {chosen.file} ({chosen.tool})'))
    return findings


def show(value) -> str:
    if isinstance(value, tuple):
        return ','.join(value) or 'none'
    return 'none' if value in ('', None) else str(value)


def option_findings(d, running, verbose: int = 0) -> list:
    mode_setting = d.options.get('mode')
    mode = mode_setting.value if mode_setting else running.options.get('mode')
    miimon = d.options['miimon'].value if 'miimon' in d.options else kernel_miimon_default(mode)
    diffs, findings = [], []
    for option in COMPARED:
        if option in d.options:
            note, diff = _compare(option, d, running, mode, miimon)
            findings += [found('drift-note', note)] if note else []
            diffs += [diff] if diff else []
    return findings + _worded(d, diffs, verbose)


def _compare(option: str, d, running, mode, miimon) -> tuple:
    """(note or None, (option, predicted, running, Setting, (the file's value, how the
    kernel changes it) or None) or None) for one option."""
    setting = d.options[option]
    if option not in running.options:
        return _not_shown(option, running, mode), None
    want, have = setting.value, running.options[option]
    if not applies(option, mode):
        quiet = option in d.explain or want in ('', 0, None, ())
        return (None if quiet else f'{option} {show(want)} in {d.file} is not used in mode '
                                   f'{mode}'), None
    rounded = None
    if option in ('updelay', 'downdelay'):
        want, rounded = _periods(want, miimon)
    if option == 'primary' and want and want not in running.slaves:
        return None, None  # pending: the kernel shows nothing; the missing slave is reported
    if option in ('arp_ip_target', 'ns_ip6_target') and set(want) == set(have):
        return (f'{option} order {show(want)} in {d.file}, {show(have)} running'
                if want != have else None), None
    return None, ((option, want, have, setting, rounded) if want != have else None)


def _periods(value: int, miimon: int) -> tuple:
    """(what the kernel stores of an updelay/downdelay: whole miimon periods, none
    without miimon (design §2); None, or (the file's value, how the kernel changes it))."""
    stored = value // miimon * miimon if miimon else 0
    if stored == value:
        return value, None
    return stored, (value, f'{stored} after the kernel rounds it down to a multiple of miimon '
                           f'{miimon}' if miimon else '0: the kernel takes none while miimon is 0')


def _not_shown(option: str, running, mode) -> str | None:
    """The -v note for an option the running side does not show."""
    if option == 'ns_ip6_target' and not running.options.get('arp_interval'):
        return 'ns_ip6_target not compared: /proc shows NS targets only with ARP monitoring on'
    if not running.elsewhere:
        return f'{option}: not available on this kernel, not compared'
    return None if not applies(option, mode) else (
        f'{option} not compared: /proc does not show it and sysfs shows another interface '
        'of this name')


def _worded(d, diffs: list, verbose: int) -> list:
    """One finding per explained option, one per file for the others."""
    findings, by_file = [], {}
    for option, want, have, setting, rounded in diffs:
        if option in d.explain:
            findings.append(found('drift-option', f'{option} {show(have)} running, {show(want)} '
                                                  f'after reboot ({d.explain[option]})'))
        else:  # a rounded value: the file's, and how the kernel changes it
            shown, why = rounded or (want, None)
            by_file.setdefault(setting.file, []).append((option, shown, have, setting.line, why))
    for path, items in by_file.items():
        lines = sorted({item[3] for item in items if item[3]})
        where = f'{path}:{lines[0]}' if verbose and lines else path
        if d.choice:
            text = d.choice + ': ' + ', '.join(f'{o} {show(w)}{_aside(n)} but {show(h)} running'
                                               for o, w, h, _, n in items)
        elif len(items) == 1:
            option, want, have, _, why = items[0]
            text = f'{option} {show(want)} in {where}{_aside(why)} but {show(have)} running'
        else:
            text = ', '.join(f'{o} {show(w)} (running {show(h)}{"; " + n if n else ""})'
                             for o, w, h, _, n in items) + f' in {where}'
        findings.append(found('drift-option', text))
    return findings


def _aside(text: str | None) -> str:
    return f' ({text})' if text else ''


def slave_findings(d, running) -> list:
    if d.ports is None:
        return []
    enslaved, findings, expected = set(running.slaves), [], set()
    by_mac = {m: s for s, m in running.macs.items() if m}
    for port in d.ports:
        if port.name and any(c in port.name for c in '*?['):
            matched = {s for s in enslaved if fnmatch.fnmatchcase(s, port.name)}
            expected |= matched
            if not matched:
                findings.append(found('drift-slave-missing', f'{port.name} in {port.file} '
                                                             'matches no slave'))
            continue
        name = port.name or by_mac.get(port.mac)
        if name is None:
            findings.append(found('drift-slave-missing', f'MAC {port.mac} in {port.file} not '
                                                         'enslaved'))
            continue
        expected.add(name)
        if name not in enslaved:
            findings.append(found('drift-slave-missing', f'{name} in {port.file} not enslaved'))
        elif port.mac and running.macs.get(name) and running.macs[name] != port.mac:
            findings.append(found('drift-mac', f'{port.file.rsplit("/", 1)[-1]} pins '
                                               f'{port.pin or "MAC"} {port.mac}, {name} has '
                                               f'{running.macs[name]} (NIC replaced?)'))
    for slave in running.slaves:
        if slave not in expected:
            hint = d.explain.get(f'slave:{slave}')
            findings.append(found('drift-slave-extra', f'{slave} enslaved but in no '
                                                       'configuration' +
                                  (f' ({hint})' if hint else '')))
    return findings
