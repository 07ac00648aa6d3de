"""--config-drift: the running bonds against the configuration the next boot applies.

Map (the design: docs/design/config-drift.md, cited here as "design §N"):
  files.py      the one bounded reader, confined to --root (links re-rooted)
  model.py      Definition/Port/Setting records, the kernel's option names, time spans
  modprobe.py   module options: every other source's defaults; bonds the module makes
  ifcfg.py      initscripts (shellvars.py parses, never sources)
  nm.py         NetworkManager keyfiles and ifcfg-rh: the profile NM brings up;
                nmkeyfiles.py the keyfile directories (shadowing, /run, keyfile.py:
                GLib's rules); nmbond.py what NM 1.52 makes of a profile's [bond] keys
  netplan.py    netplan 1.1 YAML (yamlsafe.py: PyYAML's composer, optional; what netplan
                refuses: netplanrules.py), through networkd's or NM's rules
  networkd.py   systemd-networkd 257 .netdev/.network (netmatch.py: [Match])
  ifupdown.py   ifupdown + ifenslave; ifupdown2.py ifupdown2 3.0; wicked.py SUSE
  predict.py    which managers are enabled; the effective definition per bond
  running.py    the running side from sysfs (else /proc)
  compare.py    the findings (check_bonding.findings identifiers drift-*)

Each reader follows the tool that applies its files; tests/oracle runs those
tools (Debian 13) on the same trees and compares.

Only imported with --config-drift: a default run loads none of this.
"""
from __future__ import annotations

from collections import namedtuple

from ..findings import found
from . import compare, netplan, predict, running
from .files import Tree

Drift = namedtuple('Drift', 'bonds run')  # {bond: [Finding]}, [Finding] about the run
Context = namedtuple('Context', 'complete sources verbose rejected')
SUDOERS_HINT = 'run as root or grant read access (see contrib/sudoers)'


def configuration(root: str = '/', source: str = 'auto') -> tuple:
    """(Prediction, Tree): every definition the configuration under `root` gives."""
    tree = Tree(root)
    return predict.predict(tree, source), tree


def check(system, bonds, source: str = 'auto', verbose: int = 0) -> Drift:
    """Drift findings for each running bond in `bonds` of the system.System
    `system` (the check's own: its root holds the configuration too), and
    about the run."""
    result, tree = configuration(system.root, source)
    relevant = [u for u in tree.unreadable + tree.unread
                if u[2] in result.sources or u[2] == 'modprobe']
    context = Context(not relevant and not result.yaml_missing, result.sources, verbose,
                      [r for r in tree.rejected if r[0] in result.sources])
    per_bond = {}
    for name in bonds:
        run = running.read(system, name)
        definitions = [d.resolve(d, run) if d.resolve and run else d
                       for d in result.definitions.get(name, [])]
        per_bond[name] = compare.bond_findings(name, definitions, run, context)
    return Drift(per_bond, run_findings(result, tree, relevant))


def run_findings(result, tree, relevant) -> list:
    """UNKNOWN for the files not read (denied, or over a cap), notes."""
    findings = []
    denied = [u for u in relevant if u in tree.unreadable]
    if denied:
        findings.append(found('drift-unreadable', f'cannot read {_files(denied)}: '
                                                  f'{denied[0][1]}; {_bonds(denied)} are not '
                                                  f'compared ({SUDOERS_HINT})'))
    unread = [u for u in relevant if u not in tree.unreadable]
    if unread:
        findings.append(found('drift-unreadable', f'cannot read {_files(unread)} fully: '
                                                  f'{unread[0][1]}; {_bonds(unread)} are not '
                                                  'compared'))
    if result.yaml_missing:
        findings.append(found('drift-yaml-missing', netplan.MISSING_YAML))
    findings += [found('drift-note', note) for note in dict.fromkeys(result.notes + tree.notes)]
    return findings


def _bonds(entries: list) -> str:
    one = len({path for path, *_ in entries}) == 1
    return f'the bonds {"it" if one else "they"} may define'


def _files(entries: list) -> str:
    paths = list(dict.fromkeys(path for path, *_ in entries))
    return paths[0] if len(paths) == 1 else f'{len(paths)} files ({", ".join(paths[:3])}' + \
        (', ...)' if len(paths) > 3 else ')')


def files_read(root: str, source: str = 'auto') -> Tree:
    """The Tree after a prediction: the files, links and paths the readers used (--capture)."""
    return configuration(root, source)[1]
