"""Each case of each tool's matrix: the plugin's prediction against the live tool's output."""
import subprocess

import pytest

from check_bonding.drift import files, ifupdown2 as drift_ifupdown2
from oracle import chroot, ifupdown2, modprobe, netplan, networkd, nm, nmprofiles, timespan

pytestmark = pytest.mark.slow  # a Debian 13 chroot and minutes: tools/ci/oracle.sh

TOOLS = {module.TOOL: module for module in (timespan, networkd, netplan, nm, nmprofiles,
                                             ifupdown2, modprobe)}
CASES = [(tool, name) for tool, module in TOOLS.items() for name in module.CASES]


@pytest.fixture(scope='module')
def live():
    """{tool: {case: output}}, each tool's batch run once, when first needed."""
    outputs = {}

    def run(tool):
        if tool not in outputs:
            module = TOOLS[tool]
            outputs[tool] = chroot.run_batch(chroot.root(), tool, module.CASES, module.SCRIPT)
        return outputs[tool]
    return run


@pytest.mark.parametrize('tool, name', CASES, ids=[f'{t}:{n}' for t, n in CASES])
def test_the_plugin_predicts_what_the_tool_does(live, tool, name, tmp_path):
    output = live(tool)[name]
    assert TOOLS[tool].disagreements(TOOLS[tool].CASES[name], output, tmp_path) == [], output


@pytest.mark.parametrize('tool', list(TOOLS))
def test_the_recorded_copy_is_what_the_tool_says_now(live, tool):
    module = TOOLS[tool]
    chroot.check_recording(chroot.root(), tool, module.COMMAND, module.CASES, live(tool))


def test_only_ifupdown2_ships_the_ifreload_that_tells_them_apart():
    """check_bonding follows ifupdown2's rules where ifreload is installed: dpkg says
    the chroot's ifreload is ifupdown2's, and ifupdown's own package has none."""
    root = chroot.root()
    done = subprocess.run(
        [str(chroot.HELPER), 'run', str(root), 'sh', '-ec',
         'dpkg -S /usr/sbin/ifreload; cd /tmp; rm -f ifupdown_*.deb; '
         'apt-get download -q ifupdown >/dev/null 2>&1; '
         'dpkg-deb -c ifupdown_*.deb | grep -c "/ifup$"; '
         'dpkg-deb -c ifupdown_*.deb | grep -c ifreload || true; rm -f ifupdown_*.deb'],
        capture_output=True, text=True, timeout=300)
    assert done.stdout.split() == ['ifupdown2:', '/usr/sbin/ifreload', '1', '0'], done
    assert drift_ifupdown2.detected(files.Tree(str(root)))
