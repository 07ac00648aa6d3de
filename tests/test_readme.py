"""What README.md and docs/ show as output is real: every example block that
starts with `$ check_bonding --root <tree in this repository> ...` is run, and
its output must be what the block shows, line for line."""
import re
import shlex

import pytest

from helpers import ROOT, run_check

DOCUMENTS = [ROOT / 'README.md', *sorted((ROOT / 'docs').rglob('*.md'))]
BLOCK = re.compile(r'^```\n\$ (check_bonding [^\n]*)\n(.*?)^```', re.M | re.S)


def shown_runs():
    for document in DOCUMENTS:
        for match in BLOCK.finditer(document.read_text()):
            yield document.relative_to(ROOT), match.group(1), match.group(2).rstrip('\n')


RUNS = list(shown_runs())


def test_the_readme_headline_is_a_shown_run():
    assert any(document.name == 'README.md' for document, *_ in RUNS)


@pytest.mark.parametrize('document, command, output', RUNS,
                         ids=[f'{d}: {c}' for d, c, _ in RUNS])
def test_a_documented_run_prints_what_the_document_shows(document, command, output):
    argv = shlex.split(command)[1:]
    root = argv[argv.index('--root') + 1]
    assert '--no-state' in argv and (ROOT / root).is_dir(), 'only repository trees, no state'
    argv[argv.index('--root') + 1] = str(ROOT / root)
    assert run_check(argv).output.rstrip('\n') == output


def test_the_quick_start_says_what_the_example_says():
    readme = (ROOT / 'README.md').read_text()
    said = re.search(r'The first line says `([^`]*)`, and the exit code is (\d)', readme)
    result = run_check(['--root', ROOT / 'examples/seed-failover', '--no-state', '-v'])
    assert result.first_line.startswith(said.group(1) + ' |') or \
        result.first_line == said.group(1)
    assert result.code == int(said.group(2))
