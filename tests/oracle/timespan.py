"""systemd time spans (networkd's *Sec= keys) as `systemd-analyze timespan` reads them."""
from check_bonding.drift import model

TOOL = 'timespan'
COMMAND = 'systemd-analyze timespan -- VALUE'
SPELLINGS = ['100', '0', '100ms', '100 ms', '100msec', '1s', '1sec', '2 seconds', '1.5s', '0.5',
             '1min 40s', '1min40s', '1m', '2min', '1h', '1hr', '1 hour', '1d', '2days', '1w',
             '1week', '1M', '1month', '1y', '100us', '1500usec', '1µs', '1μs', '1s 500ms',
             '1s500ms', '5ms 5ms', 'infinity', '1x', '', ' ', '-1', '1e3', 'ms', '1 m s',
             '0100', '10ns', '1S', '1MS', '100 000']
CASES = {f'span-{i:02d}': {'value': value} for i, value in enumerate(SPELLINGS)}
SCRIPT = r'''
cd "$1"
for d in */; do
  systemd-analyze timespan -- "$(cat "$d/value")" >"$d/out/stdout" 2>"$d/out/stderr" \
    && echo 0 >"$d/out/rc" || echo $? >"$d/out/rc"
done
'''


def reading(output: dict):
    """Milliseconds as networkd hands them to the kernel (usec / 1000, floored), or None."""
    if output['rc'].strip() != '0':
        return None
    for line in output['stdout'].splitlines():
        key, _, value = line.strip().partition(':')
        if key == 'μs':
            return None if value.strip() == 'infinity' else int(value) // 1000
    raise AssertionError(f'no μs line in {output["stdout"]!r}')


def disagreements(case: dict, output: dict, tmp_path=None) -> list:
    value, tool = case['value'], reading(output)
    plugin = model.timespan_ms(value)
    return [] if plugin == tool else [f'{value!r}: systemd {tool} ms, check_bonding {plugin}']
