"""No reference leaves the tree: what the code, tests and documents cite,
a reader of the repository can open.

Fails on a path into a `shared/` directory, on a `../` or a machine's `/work/` that
leads outside the repository, on a SPEC named without a docs/design/ target, on a
design section (§N) or decision rule (P1, N0) that its design document lacks, and on
a relative link in a Markdown document (README.md, docs/, ...) that leads to no file
of the tree or to no heading of its target."""
from __future__ import annotations

import ast
import io
import os
import re
import tokenize
from functools import lru_cache
from pathlib import Path

import pytest

from helpers import ROOT

DESIGN = ROOT / 'docs/design'
# Build output, caches, venvs, captures (tests/kernel/scenarios.py's default --dest),
# and .git (a worktree's is a file)
SKIPPED = {'.git', '__pycache__', '.hypothesis', '.pytest_cache', '.ruff_cache', '.tox', '.nox',
           '.venv', 'venv', 'build', 'dist', '.pybuild', 'node_modules', 'captures'}
# Captured trees and configuration samples are data, not references: only the
# Markdown at the top of these directories is read.
DATA_DIRS = (ROOT / 'tests/data', ROOT / 'examples')
THIS_FILE = ROOT / 'tests/test_docs.py'  # names the patterns it looks for
# Written for another repository: its relative links are relative to that one.
FOREIGN = {ROOT / 'contrib/icinga/ITL.md'}  # an entry of Icinga 2's doc/ (tools/generate.py)

LEAVING = [  # (pattern, what it is): wrong on any line of any file
    (re.compile(r'(?:(?<![\w./-])|(?<=\.\./))shared/'),  # not src/shared/ of another project
     'a path into shared/ (outside the repository)'),
    (re.compile(r'(?<![\w.-])/work/'), "a path into this machine's /work/"),
    (re.compile(r'\bSPEC\.md\b'), 'a SPEC.md (the design is in docs/design/)'),
    (re.compile(r'\b[Ii]ssue \d+'), 'an issue number (the tracker is not in the tree: say what '
                                    'the item is)'),
]
SPEC = re.compile(r'\bSPEC\b')
CLIMB = re.compile(r'(?<![\w/.~$-])(?:\.\./)+[\w.<>*-][^\s`\'"()\[\]]*')
DESIGN_FILE = re.compile(r'\bdesign/([\w-]+\.md)')
SECTION = re.compile(r'§\s*(\d+(?:\.\d+)*)')
SHORT_FORM = re.compile(r'\bdesign\s+§\s*(\d+(?:\.\d+)*)')
RULE = re.compile(r'\b([PN])(\d+)(?:\s*-\s*\1(\d+))?\b')
FENCE = re.compile(r'^\s*(```|~~~)')
LINK = re.compile(r'!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)')
REFERENCE = re.compile(r'^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+".*")?\s*$')
SCHEME = re.compile(r'^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)')


def tree_files():
    """Every text file of the repository but build output and caches; of the data
    directories only their own Markdown."""
    for directory, dirs, files in os.walk(ROOT):
        here = Path(directory)
        in_data = here in DATA_DIRS
        dirs[:] = [] if in_data else sorted(
            d for d in dirs if d not in SKIPPED and not d.endswith('.egg-info'))
        for name in sorted(files):
            path = here / name
            if name in SKIPPED or in_data and path.suffix != '.md' or path.is_symlink() or \
                    path == THIS_FILE:
                continue
            data = path.read_bytes()
            if b'\0' in data:
                continue
            try:
                yield path, data.decode('utf-8')
            except UnicodeDecodeError:
                continue


FILES = dict(tree_files())
MARKDOWN = {path: text for path, text in FILES.items() if path.suffix == '.md'}


def where(path: Path, number: int) -> str:
    return f'{path.relative_to(ROOT)}:{number}'


def lines(text: str):
    return enumerate(text.splitlines(), 1)


def prose(path: Path, text: str):
    """(line number, text) a reader reads as prose: a Python file's comments and
    docstrings; a Markdown file outside fenced code blocks (commands shown there
    run where their reader is); any other file whole."""
    if path.suffix == '.py':
        yield from python_prose(text)
    elif path.suffix == '.md':
        yield from markdown_prose(text)
    else:
        yield from lines(text)


def python_prose(text: str):
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) \
                and node.body and isinstance(node.body[0], ast.Expr) \
                and isinstance(node.body[0].value, ast.Constant) \
                and isinstance(node.body[0].value.value, str):
            start = node.body[0].lineno
            for offset, line in enumerate(node.body[0].value.value.splitlines()):
                yield start + offset, line


def markdown_prose(text: str):
    fenced = False
    for number, line in lines(text):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def inside(path: Path) -> bool:
    return path == ROOT or ROOT in path.parents


# -- paths that leave the tree ---------------------------------------------------

def test_no_path_leads_outside_the_repository():
    found = [f'{where(path, number)}: {what}: {line.strip()}'
             for path, text in FILES.items() for number, line in lines(text)
             for pattern, what in LEAVING if pattern.search(line)]
    assert found == []


def test_no_relative_path_climbs_out_of_the_repository():
    found = []
    for path, text in FILES.items():
        for number, line in prose(path, text):
            for match in CLIMB.finditer(line):
                target = Path(os.path.normpath(path.parent / match.group()))
                if not inside(target):
                    found.append(f'{where(path, number)}: {match.group()} leaves the tree')
    assert found == []


def test_a_spec_is_named_only_with_its_design_document():
    found = [f'{where(path, number)}: {line.strip()}'
             for path, text in FILES.items() for number, line in lines(text)
             if SPEC.search(line) and not DESIGN_FILE.search(line)]
    assert found == [], 'name the section of docs/design/<topic>.md instead'


# -- the design documents' sections and rules ------------------------------------

def headings(text: str) -> list[str]:
    """The headings of a Markdown text, ATX and setext, outside fenced code."""
    found, previous = [], ''
    for _, line in markdown_prose(text):
        atx = re.match(r'^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$', line)
        if atx:
            found.append(atx.group(1))
        elif re.match(r'^\s{0,3}(=+|-+)\s*$', line) and previous.strip() and \
                not previous.lstrip().startswith(('|', '-', '*')):
            found.append(previous.strip())
        previous = line
    return found


def sections(document: Path) -> set[str]:
    return {number for heading in headings(MARKDOWN.get(document, ''))
            for number in SECTION.findall(heading)}


def rules(document: Path) -> set[str]:
    """Rule names a design document defines: the first cell of a table row."""
    return set(re.findall(r'^\|\s*([PN]\d+)\s*\|', MARKDOWN.get(document, ''), re.M))


def package_design(path: Path) -> Path | None:
    """The design document the nearest package names (where code cites "design §N")."""
    for directory in path.parents:
        if directory == ROOT or not inside(directory):
            return None
        init = FILES.get(directory / '__init__.py', '')
        named = DESIGN_FILE.search(init)
        if named:
            return DESIGN / named.group(1)
    return None


def cited(path: Path, line: str):
    """(design document, [sections], [rules]) a line cites."""
    named = DESIGN_FILE.search(line)
    if named:
        document = DESIGN / named.group(1)
        numbers = SECTION.findall(line[named.start():])
    else:
        numbers = SHORT_FORM.findall(line)
        if not numbers:
            return None
        document = package_design(path)
    names = [f'{kind}{n}' for kind, low, high in RULE.findall(line)
             for n in range(int(low), int(high or low) + 1)]
    return document, numbers, names if named else []


def test_every_cited_design_section_and_rule_exists():
    assert sections(DESIGN / 'config-drift.md') and rules(DESIGN / 'hardware.md')
    found = []
    for path, text in FILES.items():
        if path.parent == DESIGN:
            continue  # its own § are its sources' sections too ([K1 §3.2])
        for number, line in lines(text):
            citation = cited(path, line)
            if citation is None:
                continue
            document, numbers, names = citation
            if document is None or document not in MARKDOWN:
                found.append(f'{where(path, number)}: no design document: {line.strip()}')
                continue
            found += [f'{where(path, number)}: {document.name} has no §{n}'
                      for n in numbers if n not in sections(document)]
            found += [f'{where(path, number)}: {document.name} has no rule {n}'
                      for n in names if n not in rules(document)]
    assert found == []


def test_the_drift_modules_cite_their_design():
    """Every module of check_bonding/drift names the section it implements."""
    package = ROOT / 'check_bonding/drift'
    assert package_design(package / 'model.py') == DESIGN / 'config-drift.md'
    silent = [p.name for p in sorted(package.glob('*.py'))
              if p.name not in ('__init__.py', 'files.py', 'keyfile.py', 'shellvars.py')
              and not SHORT_FORM.search(FILES[p])]
    assert silent == []


# -- Markdown links ----------------------------------------------------------------

def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as '-'."""
    text = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', heading)  # a link's text stays
    text = re.sub(r'<[^>]+>', '', text).strip().lower()
    return re.sub(r'[^\w\- ]', '', text).replace(' ', '-')


@lru_cache(maxsize=None)
def anchors(text: str) -> frozenset:
    seen: dict = {}
    result = set()
    for heading in headings(text):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f'{base}-{count}')
    result.update(re.findall(r'<a\s+(?:name|id)="([^"]+)"', text))
    return frozenset(result)


def links(text: str):
    """(line number, target) of every inline link, image and reference definition
    outside code."""
    for number, line in markdown_prose(text):
        line = re.sub(r'(`+).*?\1', '', line)
        for match in LINK.finditer(line):
            yield number, match.group(1)
        reference = REFERENCE.match(line)
        if reference:
            yield number, reference.group(1)


def broken(path: Path, target: str) -> str | None:
    """Why a link from `path` does not lead into the tree, or None."""
    if not target or SCHEME.match(target):
        return None
    file_part, _, anchor = target.partition('#')
    destination = Path(os.path.normpath(path.parent / file_part)) if file_part else path
    if not inside(destination):
        return 'leads outside the repository'
    if not destination.exists():
        return 'no such file in the tree'
    if anchor and destination.suffix == '.md' and destination in MARKDOWN and \
            anchor not in anchors(MARKDOWN[destination]):
        return f'{destination.relative_to(ROOT)} has no heading #{anchor}'
    return None


@pytest.mark.parametrize('document', sorted(set(MARKDOWN) - FOREIGN),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_of_the_tree(document):
    found = [f'{where(document, number)}: {target}: {why}'
             for number, target in links(MARKDOWN[document])
             for why in [broken(document, target)] if why]
    assert found == []


def test_the_link_checker_sees_links():
    """The checker itself: it finds links, anchors and what leaves the tree."""
    text = ('# Config drift (`--config-drift`)\n\n## Config drift (`--config-drift`)\n'
            'See [a](docs/x.md#y "t"), ![i](<img.png>), `[no](code.md)`,\n'
            '[b]: ../outside.md\n```\n[c](fenced.md)\n```\n')
    assert [t for _, t in links(text)] == ['docs/x.md#y', 'img.png', '../outside.md']
    assert anchors(text) == {'config-drift---config-drift', 'config-drift---config-drift-1'}
    readme = ROOT / 'README.md'
    assert broken(readme, '../outside.md') == 'leads outside the repository'
    assert broken(readme, 'no-such-file.md') == 'no such file in the tree'
    assert broken(readme, '#no-such-heading') == 'README.md has no heading #no-such-heading'
    assert broken(readme, 'https://example.org/') is None
