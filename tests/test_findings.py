"""The one table of findings (findings.py): every identifier is used, every
one used is in the table, and docs/findings.md shows the table as it is."""
import re
from pathlib import Path

from check_bonding.findings import FINDINGS

PACKAGE = Path(__file__).resolve().parent.parent / 'check_bonding'
FINDINGS_DOC = Path(__file__).resolve().parent.parent / 'docs' / 'findings.md'
NAME = re.compile(r"""found\(\s*['"]([a-z0-9-]+)['"]|['"]([a-z0-9-]+)['"] if """)


def sources():
    return {path: path.read_text() for path in PACKAGE.rglob('*.py')
            if path.name != 'findings.py'}


def test_every_finding_in_the_table_is_raised_somewhere():
    text = '\n'.join(sources().values())
    unused = [name for name in FINDINGS if f"'{name}'" not in text and f'"{name}"' not in text]
    assert unused == []


def test_every_finding_raised_is_in_the_table():
    used = {match.group(1) for text in sources().values() for match in
            re.finditer(r"""found\(\s*['"]([a-z0-9-]+)['"]""", text)}
    assert used and used <= set(FINDINGS), used - set(FINDINGS)


def test_the_findings_doc_lists_every_finding_with_its_default_state():
    rows = re.findall(r'^\| `([a-z0-9-]+)` \| ([A-Z]+) \| ', FINDINGS_DOC.read_text(), re.M)
    table = [(name, kind.state.text.upper()) for name, kind in FINDINGS.items()]
    assert [row for row in rows if row[0] in FINDINGS or row[1] in ('OK', 'WARNING',
                                                                   'CRITICAL', 'UNKNOWN')] \
        == table
