"""kmod 34's reading of modprobe.d: `modprobe -c` prints the options lines in
the order modprobe hands them to the module (files sorted by name across
/etc, /run, /usr/local/lib and /usr/lib; one name: the first directory
wins), with the case's directories bound over the real ones. The last value
of a key is the one the module keeps.
"""
from check_bonding.drift import files, modprobe
from check_bonding.drift.model import canonical

TOOL = 'modprobe'
COMMAND = ('in `unshare --mount`, the case bound over /etc, /run, /usr/local/lib and /usr/lib '
           'modprobe.d: modprobe -c')
DIRS = ('etc/modprobe.d', 'run/modprobe.d', 'usr/local/lib/modprobe.d', 'usr/lib/modprobe.d')
CASES = {
    'order-across-directories': {
        'etc/modprobe.d/10-a.conf': 'options bonding mode=active-backup miimon=100\n',
        'usr/lib/modprobe.d/50-b.conf': 'options bonding miimon=200 updelay=400\n',
        'etc/modprobe.d/90-c.conf': 'options bonding miimon=250\n'},
    'etc-shadows-usr-lib': {
        'usr/lib/modprobe.d/systemd.conf': 'options bonding max_bonds=0 miimon=100\n',
        'etc/modprobe.d/systemd.conf': 'options bonding miimon=300 mode=4\n'},
    'run-shadows-usr-lib': {
        'usr/lib/modprobe.d/bond.conf': 'options bonding mode=1 downdelay=100\n',
        'run/modprobe.d/bond.conf': 'options bonding mode=2\n',
        'usr/local/lib/modprobe.d/zz.conf': 'options bonding lacp_rate=1\n'},
    'one-file-twice': {'etc/modprobe.d/bond.conf': 'options bonding mode=4 miimon=100\n'
                                                   'options bonding miimon=150 lacp_rate=fast\n'},
    'continuation': {'etc/modprobe.d/bond.conf': 'options bonding mode=802.3ad \\\n'
                                                 '    xmit_hash_policy=layer3+4 miimon=100\n'},
    'suffixes': {'etc/modprobe.d/a.conf': 'options bonding miimon=100\n',
                 'etc/modprobe.d/b.alias': 'options bonding miimon=200\n',
                 'etc/modprobe.d/c.conf~': 'options bonding miimon=300\n',
                 'etc/modprobe.d/d.txt': 'options bonding miimon=400\n'},
    'dash-and-alias': {'etc/modprobe.d/bond.conf': 'alias bond0 bonding\n'
                                                   'options bond0 miimon=500\n'
                                                   'options bonding updelay=200\n'
                                                   'options bond-ing downdelay=300\n'},
}
SCRIPT = r'''
for d in "$1"/*/; do
  d=${d%/}
  unshare --mount --propagation unchanged sh -ec '
    d=$1
    for dir in ''' + ' '.join(DIRS) + r'''; do
      mkdir -p "$d/$dir" "/$dir"; mount --bind "$d/$dir" "/$dir"
    done
    modprobe -c | grep "^options bond" >"$d/out/options" || true
  ' sh "$d"
done
'''


def reading(output: dict) -> dict:
    """{key: (value, the options line it is on)}: the last value of each key."""
    found = {}
    for line in output.get('options', '').splitlines():
        words = line.split()
        if words[1].replace('-', '_') != 'bonding':
            continue
        for word in words[2:]:
            key, _, value = word.partition('=')
            if key != 'max_bonds' and value:
                found[key] = (value, line)
    return found


def disagreements(case: dict, output: dict, tmp_path) -> list:
    for path, text in case.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    ours = modprobe.read(files.Tree(str(tmp_path))).defaults
    theirs = reading(output)
    problems = []
    if set(ours) != set(theirs):
        problems.append(f'the module gets {sorted(theirs)}, check_bonding {sorted(ours)}')
    for key in set(ours) & set(theirs):
        value, line = theirs[key]
        joined = {p: [' '.join(x.split()) for x in text.replace('\\\n', ' ').splitlines()]
                  for p, text in case.items()}
        holders = ['/' + p for p, lines in joined.items() if ' '.join(line.split()) in lines]
        if ours[key].value != canonical(key, value) or ours[key].file not in holders:
            problems.append(f'{key}: the module gets {value} ({holders}), check_bonding '
                            f'{ours[key].value} ({ours[key].file})')
    return problems
