"""NetworkManager 1.52 itself: which profile it loads for a bond after a reboot.

The daemon runs in the chroot (its own D-Bus, a network namespace with no
device to manage) over each case's /usr/lib and /etc keyfiles; the case's
`setup` runs before it starts (a mode, a link), its `commands` (nmcli) while
it runs: `nmcli connection modify --temporary` writes a /run profile that
shadows the persistent one by UUID, `nmcli connection delete` of a /usr/lib
profile an /etc tombstone. Then the daemon is stopped, /run is emptied (the
reboot) and it is started again: the profiles it lists then (file, bond
options, ports) are what the next boot gets. check_bonding reads the tree as
the commands left it, /run included, and must predict the same.
"""
from check_bonding import drift
from check_bonding.drift.model import COMPARED, canonical

TOOL = 'nm-profiles'
COMMAND = ('NetworkManager --no-daemon (keyfile plugin, own D-Bus, netns); setup, then the '
           "case's nmcli commands; nmcli connection show per profile; stop, empty /run, "
           'start again (the reboot); nmcli connection show per profile')
ETC = 'etc/NetworkManager/system-connections'
LIB = 'usr/lib/NetworkManager/system-connections'
RUN = 'run/NetworkManager/system-connections'
UUID = 'e42e890b-d326-40f9-8ce2-1f210f0ae92c'
PORT1_UUID = 'e8f01493-b0dd-4ec6-be69-468b95d926ed'
BOND = (f'[connection]\nid=bond0\nuuid={UUID}\ntype=bond\ninterface-name=bond0\n\n'
        '[bond]\nmode=active-backup\nmiimon=100\nprimary=ens3f0\nupdelay=200\n')
PORT1 = (f'[connection]\nid=bond0-port1\nuuid={PORT1_UUID}\ntype=ethernet\n'
         f'interface-name=ens3f0\ncontroller={UUID}\nport-type=bond\n\n[ethernet]\n')
PORT2 = ('[connection]\nid=bond0-port2\nuuid=3396683a-4ac6-4887-9186-0e773a1f3be8\n'
         'type=ethernet\ninterface-name=ens3f1\nmaster=bond0\nslave-type=bond\n\n[ethernet]\n')
BOND0 = {f'{ETC}/bond0.nmconnection': BOND, f'{ETC}/bond0-port1.nmconnection': PORT1,
         f'{ETC}/bond0-port2.nmconnection': PORT2}


def case(files: dict, commands: str = 'true', setup: str = 'true') -> dict:
    return {**files, 'commands': commands + '\n', 'setup': setup + '\n'}


CASES = {
    'temporary-bond-change': case(BOND0, 'nmcli connection modify --temporary bond0 '
                                         'bond.options mode=802.3ad,miimon=250'),
    'temporary-port-change': case(BOND0, 'nmcli connection modify --temporary bond0-port1 '
                                         'connection.autoconnect no'),
    'temporary-change-of-usr-lib': case(
        {f'{LIB}/bond0.nmconnection': BOND}, 'nmcli connection modify --temporary bond0 '
                                             'bond.options mode=balance-xor'),
    'persistent-change': case(BOND0, 'nmcli connection modify bond0 bond.options '
                                     'mode=802.3ad,lacp_rate=fast'),
    'runtime-only-bond': case({}, 'nmcli connection add save no type bond ifname bond1 '
                                  'con-name bond1 connection.uuid '
                                  '0b0b0b0b-0000-4000-8000-000000000001 bond.options '
                                  'mode=active-backup'),
    'etc-shadows-usr-lib': case({f'{LIB}/bond0.nmconnection': BOND.replace('miimon=100',
                                                                           'miimon=300'),
                                 f'{ETC}/bond0.nmconnection': BOND}),
    'usr-lib-profile-deleted': case({f'{LIB}/bond0.nmconnection': BOND},
                                    'nmcli connection delete bond0'),
    'runtime-tombstone': case(BOND0, setup=f'mkdir -p /{RUN}; ln -s /dev/null '
                                           f'/{RUN}/{UUID}.nmmeta'),
    'port-glib-rejects': case({**BOND0, f'{ETC}/bond0-port1.nmconnection': '; port\n' + PORT1}),
    'port-mode-0644': case(BOND0, setup=f'chmod 644 /{ETC}/bond0-port1.nmconnection'),
    'bond-mode-0644': case(BOND0, setup=f'chmod 644 /{ETC}/bond0.nmconnection'),
}
SCRIPT = r'''
cd "$1"
DIRS="etc/NetworkManager/system-connections usr/lib/NetworkManager/system-connections"
mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /var/lib/NetworkManager; mkdir -p /run/dbus
DBUS=$(dbus-daemon --system --fork --print-pid); NM=
trap 'kill $NM $DBUS 2>/dev/null || true' EXIT
printf '[main]\nplugins=keyfile\nno-auto-default=*\n[keyfile]\nunmanaged-devices=*\n' >/tmp/nm.conf
start() {
  NetworkManager --no-daemon --config=/tmp/nm.conf >/dev/null 2>&1 & NM=$!
  i=0; until nmcli -t general status >/dev/null 2>&1; do
    i=$((i+1)); [ $i -lt 300 ] || { echo "NetworkManager did not start" >&2; exit 1; }; sleep 0.1
  done
}
stop() { kill $NM; wait $NM || true; NM=; }
profiles() {  # per profile: uuid|file|type|interface|controller|port type|autoconnect|options
  nmcli -t -f UUID,FILENAME connection show | sort | while IFS=: read -r uuid file; do
    line="$uuid|$file"
    for f in connection.type connection.interface-name connection.master connection.slave-type \
             connection.autoconnect bond.options; do
      line="$line|$(nmcli -g $f connection show "$uuid" 2>/dev/null || true)"
    done
    echo "$line"
  done
}
for d in */; do
  d=${d%/}; out=$PWD/$d/out
  for dir in $DIRS; do
    mount -t tmpfs tmpfs "/$dir"; [ ! -d "$d/$dir" ] || cp -a "$d/$dir/." "/$dir/"
  done
  rm -rf /run/NetworkManager
  sh -e "$d/setup"
  start
  sh -e "$d/commands" >/dev/null 2>"$out/errors" && echo 0 >"$out/rc" || echo $? >"$out/rc"
  profiles >"$out/runtime"
  for dir in $DIRS run/NetworkManager/system-connections; do  # the tree check_bonding reads
    [ -d "/$dir" ] || continue
    for f in "/$dir"/*; do
      [ -e "$f" ] || [ -L "$f" ] || continue
      if [ -L "$f" ]; then echo "${f#/} -> $(readlink "$f")" >>"$out/tree"
      else
        echo "${f#/} $(stat -c %a "$f")" >>"$out/tree"
        mkdir -p "$out/files/$dir"; cp "$f" "$out/files/${f#/}"
      fi
    done
  done
  stop
  rm -rf /run/NetworkManager  # the reboot: nothing in /run survives it
  start
  profiles >"$out/after-reboot"
  stop
  for dir in $DIRS; do umount "/$dir"; done
done
'''


def listing(text: str) -> dict:
    """{uuid: {'file', 'type', 'iface', 'controller', 'port_type', 'autoconnect', 'bond'}}."""
    keys = ('file', 'type', 'iface', 'controller', 'port_type', 'autoconnect', 'bond')
    found = {}
    for line in text.splitlines():
        uuid, *values = line.split('|')
        entry = dict(zip(keys, values))
        entry['bond'] = dict(item.split('=', 1) for item in entry['bond'].split(',') if item)
        found[uuid] = entry
    return found


def rebuild(output: dict, root) -> None:
    """The keyfile directories as NetworkManager's commands left them (/run included)."""
    for line in output.get('tree', '').splitlines():
        path, _, rest = line.partition(' ')
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if rest.startswith('-> '):
            target.symlink_to(rest[3:])
        else:
            target.write_text(output[f'files/{path}'])
            target.chmod(int(rest, 8))


def expected(profiles: dict) -> dict:
    """{bond interface: (file, {option: value}, {port interfaces})} NetworkManager has."""
    bonds = {}
    for uuid, p in profiles.items():
        if p['type'] == 'bond':
            ports = {q['iface'] for q in profiles.values() if q['port_type'] == 'bond'
                     and q['controller'] in (p['iface'], uuid) and q['autoconnect'] == 'yes'}
            options = {k: canonical(k, v) for k, v in p['bond'].items() if k in COMPARED}
            bonds[p['iface']] = (p['file'], options, ports)
    return bonds


def predicted(root) -> dict:
    """The same facts from check_bonding's prediction; a bond that will not come up
    at boot is absent, as NetworkManager has no profile for it."""
    prediction, _ = drift.configuration(str(root), 'nm')
    bonds = {}
    for name, (d, *_) in prediction.definitions.items():
        if not d.boot:
            bonds[name] = (d.file, {k: s.value for k, s in d.options.items()},
                           {p.name for p in d.ports})
    return bonds


def disagreements(case: dict, output: dict, tmp_path) -> list:
    if output['rc'].strip() != '0':
        return [f'the commands failed in NetworkManager: {output["errors"]}']
    rebuild(output, tmp_path)
    theirs, ours = expected(listing(output['after-reboot'])), predicted(tmp_path)
    problems = [f'{bond}: NetworkManager after reboot {theirs.get(bond)}, check_bonding '
                f'{ours.get(bond)}' for bond in sorted(set(theirs) ^ set(ours))]
    for bond in sorted(set(theirs) & set(ours)):
        (file, options, ports), (our_file, our_options, our_ports) = theirs[bond], ours[bond]
        differ = {k: (v, our_options.get(k)) for k, v in options.items()
                  if our_options.get(k) != v}
        if file != our_file or differ or ports != our_ports:
            problems.append(f'{bond}: NetworkManager {file} {differ} ports {sorted(ports)}, '
                            f'check_bonding {our_file} ports {sorted(our_ports)}')
    return problems
