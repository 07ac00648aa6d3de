"""The closing line of the test command: the tests of every stage (their
JUnit files) added up, and each stage's time and outcome (tox's journal).
A stage that failed outside its tests (a build, lintian, a file list)
counts as one failure.      tally.py RESULTS_DIR TOX_JOURNAL.json"""
import json
import pathlib
import sys
import xml.etree.ElementTree as ET  # noqa: S405 (our own pytest's files)


def tests(path):
    """passed, failed, skipped of one pytest JUnit file."""
    root = ET.parse(path).getroot()  # noqa: S314
    suites = [root] if root.tag == 'testsuite' else root.iter('testsuite')
    total = failed = skipped = 0
    for suite in suites:
        total += int(suite.get('tests', 0))
        failed += int(suite.get('failures', 0)) + int(suite.get('errors', 0))
        skipped += int(suite.get('skipped', 0))
    return total - failed - skipped, failed, skipped


def stages(journal):
    """name -> (seconds, ok) for each stage tox ran."""
    envs = json.loads(journal.read_text()).get('testenvs', {})
    found = {}
    for name, env in envs.items():
        result = env.get('result')
        if name.startswith('.') or result is None:  # a package build, or not run
            continue
        found[name] = (result.get('duration', 0), result.get('success', False))
    return found


def main(results, journal):
    counts = {p.stem: tests(p) for p in sorted(results.glob('*.xml'))}
    ran = stages(journal) if journal.exists() else {}
    passed = failed = skipped = 0
    print('=== stages (seconds, outcome, tests passed/failed/skipped)')
    for name in sorted(set(ran) | set(counts), key=lambda n: -ran.get(n, (0,))[0]):
        seconds, ok = ran.get(name, (0, False))
        p, f, s = counts.get(name, (0, 0, 0))
        if not ok and not f:
            f = 1  # failed outside its tests, or never reported
        passed, failed, skipped = passed + p, failed + f, skipped + s
        print(f'{name:10} {seconds:6.0f}  {"ok" if ok else "FAILED":6}  {p}/{f}/{s}')
    print(f'{passed} passed, {failed} failed, {skipped} skipped')
    return 1 if failed or not passed else 0


if __name__ == '__main__':
    sys.exit(main(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])))
