"""--config-drift: the running bonds against the configuration the next boot applies.

Map (the design: docs/design/config-drift.md, cited here as "design §N"):
  files.py      the one bounded reader, confined to --root (links re-rooted)
  model.py      Definition/Port/Setting records, the kernel's option names, time spans
  modprobe.py   module options: every other source's defaults; bonds the module makes
  ifcfg.py      initscripts (shellvars.py parses, never sources)
  nm.py         NetworkManager keyfiles (keyfile.py: GLib's rules) and ifcfg-rh
  netplan.py    netplan YAML (PyYAML's composer, optional), through networkd's or NM's rules
  networkd.py   systemd-networkd .netdev/.network
  ifupdown.py   ifupdown + ifenslave; ifupdown2.py its successor; wicked.py SUSE
  predict.py    which managers are enabled; the effective definition per bond
  running.py    the running side from sysfs (else /proc)
  compare.py    the findings (check_bonding.findings identifiers drift-*)

Only imported with --config-drift: a default run loads none of this.
"""
from __future__ import annotations

from collections import namedtuple

from ..findings import found
from . import compare, netplan, predict, running
from .files import Tree

Drift = namedtuple('Drift', 'bonds run')  # {bond: [Finding]}, [Finding] about the run
Context = namedtuple('Context', 'complete sources verbose')
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
    relevant = [u for u in tree.unreadable if u[2] in result.sources or u[2] == 'modprobe']
    context = Context(not relevant and not result.yaml_missing,
                      result.sources, verbose)
    per_bond = {name: compare.bond_findings(name, result.definitions.get(name, []),
                                            running.read(system, name), context)
                for name in bonds}
    return Drift(per_bond, run_findings(result, tree, relevant))


def run_findings(result, tree, unreadable) -> list:
    findings = []
    if unreadable:
        paths = list(dict.fromkeys(path for path, *_ in unreadable))
        why = unreadable[0][1]
        what = paths[0] if len(paths) == 1 else f'{len(paths)} files ({", ".join(paths[:3])}' + \
            (', ...)' if len(paths) > 3 else ')')
        findings.append(found('drift-unreadable', f'cannot read {what}: {why}; the bonds they '
                                                  f'may define are not compared ({SUDOERS_HINT})'))
    if result.yaml_missing:
        findings.append(found('drift-yaml-missing', netplan.MISSING_YAML))
    findings += [found('drift-note', note) for note in dict.fromkeys(result.notes + tree.notes)]
    return findings


def files_read(root: str, source: str = 'auto') -> Tree:
    """The Tree after a prediction: the files, links and paths the readers used (--capture)."""
    return configuration(root, source)[1]
