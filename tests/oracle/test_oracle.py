"""Each case of each tool's matrix: the plugin's prediction against the live tool's output."""
import pytest

from oracle import chroot, ifupdown2, netplan, networkd, nm, timespan

pytestmark = pytest.mark.slow  # a Debian 13 chroot and minutes: tools/ci/oracle.sh

TOOLS = {module.TOOL: module for module in (timespan, networkd, netplan, nm, ifupdown2)}
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
