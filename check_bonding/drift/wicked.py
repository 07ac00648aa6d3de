"""SUSE wicked: /etc/sysconfig/network/ifcfg-<name> (design §4.7).

A bond is BONDING_MASTER='yes' with BONDING_MODULE_OPTS (every item must be
a known key=value, or wicked rejects the whole bond) and slaves in the
variables BONDING_SLAVE*. It comes up at boot with STARTMODE auto, onboot,
hotplug or nfsroot; manual (the default) and off do not.
"""
from __future__ import annotations

from . import ifcfg, shellvars
from .model import KERNEL_OPTIONS, Definition, Port, kernel_options

DIR = '/etc/sysconfig/network'
IGNORED = ('~', '.old', '.bak', '.orig', '.scpmbackup', '.rpmnew', '.rpmsave', '.rpmorig')
TOOL = 'wicked'
AT_BOOT = ('auto', 'onboot', 'boot', 'hotplug', 'nfsroot', 'ifplugd')


def definitions(tree, modprobe_defaults: dict) -> list:
    files, _ = ifcfg.read_files(tree, DIR, IGNORED)
    result = []
    for f in files:
        if not shellvars.is_true(ifcfg.value(f, 'BONDING_MASTER')):
            continue
        name = f.path.rsplit('/', 1)[-1][len('ifcfg-'):]
        opts = f.vars.get('BONDING_MODULE_OPTS')
        options, notes, problems = dict(modprobe_defaults), [], []
        if opts is not None and opts.value is shellvars.UNEVALUATED:
            notes.append(f'BONDING_MODULE_OPTS in {f.path} cannot be evaluated')
        elif opts is not None:
            items = opts.value.split()
            bad = [i for i in items if '=' not in i or i.partition('=')[0] not in KERNEL_OPTIONS]
            if bad:
                problems.append(('drift-not-at-boot', f'wicked rejects the bond in {f.path}: '
                                                      f'"{bad[0]}" in BONDING_MODULE_OPTS'))
            else:
                notes += kernel_options(opts.value, f.path, opts.line, options)
                if options.get('miimon') and options.get('arp_interval') and \
                        options['miimon'].value and options['arp_interval'].value:
                    problems.append(('drift-ambiguous', f'link monitoring configured twice in '
                                                        f'{f.path} (miimon and arp_interval)'))
        slaves = [(v.value, v.line) for k, v in sorted(f.vars.items(), key=lambda kv: kv[1].line)
                  if k.startswith('BONDING_SLAVE') and v.value]
        start = str(ifcfg.value(f, 'STARTMODE', 'manual') or 'manual').lower()
        boot = None if start in AT_BOOT else \
            f"STARTMODE='{start}' in {f.path}" + (' (the default)' if 'STARTMODE' not in f.vars
                                                   else '')
        result.append(Definition(name, TOOL, 'wicked', f.path, options,
                                 tuple(Port(s, None, f.path, line) for s, line in slaves),
                                 boot, tuple(notes), {}, tuple(problems)))
    return result
