"""The tools' own outputs, recorded (tests/data/oracle/<tool>.json, each with the
command that made it: tools/ci/oracle.sh --record), replayed without the
chroot: the plugin must still predict what netplan, networkd, NetworkManager,
ifupdown2, systemd-analyze and kmod did on every case of tests/oracle's matrices.
The live comparison (tests/oracle, slow) is the oracle; this catches a
regression in the unit suite."""
import pytest

from check_bonding.drift import netplan as netplan_reader
from oracle import chroot, ifupdown2, modprobe, netplan, networkd, nm, nmprofiles, timespan

TOOLS = {module.TOOL: module for module in (timespan, networkd, netplan, nm, nmprofiles,
                                             ifupdown2, modprobe)}
CASES = [(tool, name) for tool in TOOLS for name in sorted(chroot.recorded(tool)['cases'])]


@pytest.mark.parametrize('tool, name', CASES, ids=[f'{t}:{n}' for t, n in CASES])
def test_the_plugin_predicts_what_the_tool_did(tool, name, tmp_path):
    if tool == 'netplan' and not netplan_reader.available():
        pytest.skip('PyYAML (python3-yaml) is not installed: netplan trees cannot be read')
    case = chroot.recorded(tool)['cases'][name]
    assert TOOLS[tool].disagreements(case['input'], case['output'], tmp_path) == []


@pytest.mark.parametrize('tool', list(TOOLS))
def test_every_case_of_the_matrix_is_recorded(tool):
    recorded = chroot.recorded(tool)
    assert sorted(recorded['cases']) == sorted(TOOLS[tool].CASES), \
        'the matrix changed: run tools/ci/oracle.sh --record'
    assert recorded['command'] == TOOLS[tool].COMMAND and 'Debian 13' in recorded['made']
