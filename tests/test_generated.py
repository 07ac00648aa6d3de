"""The option lists made by tools/generate.py: up to date, complete, nothing stale.

The committed files are read as their readers read them (the CheckCommand's
argument keys and $macros$, the baskets' JSON, the README table, the man
page's option tags), not through the generator, so a hand edit is caught too.
"""
import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys

import pytest

from check_bonding.options import parser as plugin_parser

from helpers import ROOT as REPO

spec = importlib.util.spec_from_file_location('generate', REPO / 'tools/generate.py')
generate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(generate)

OPTIONS = generate.options()
CHECK_OPTIONS = [o for o in OPTIONS if o.kind != generate.NOT_A_CHECK]
COUNT_FLAGS = {f for o in OPTIONS if o.kind == 'count' for f in o.flags if len(f) == 2}


def conf_arguments():
    """{key: (variable, repeat_key, set_if)} of contrib/icinga/check_bonding.conf."""
    text = generate.CONF.read_text()
    found = {}
    for key, body in re.findall(r'\n\t\t"(-[^"]+)" = \{(.*?)\n\t\t\}', text, re.S):
        variables = re.findall(r'\$(\w+)\$', body)
        found[key] = (variables[0] if variables else None, 'repeat_key = true' in body,
                      'set_if' in body)
    assert found, 'no arguments found in check_bonding.conf'
    return found


BASKETS = {generate.BASKET: 'Command', generate.BASKET_EXTERNAL: 'ExternalCommand'}


def basket(path=generate.BASKET):
    return json.loads(path.read_text())


def basket_command(path=generate.BASKET):
    return basket(path)[BASKETS[path]]['bonding']


def readme_options():
    text = generate.README.read_text()
    table = text[text.index(generate.README_BEGIN):text.index(generate.README_END)]
    return [set(re.findall(r'(?<![\w-])--?[A-Za-z][\w-]*', cell))
            for cell in re.findall(r'^\| `([^`]*)` \|', table, re.M)]


def manpage_options(text):
    """Option spellings of each tag in the OPTIONS section."""
    text = text.split('\n.SH OPTIONS\n')[1].split('\n.SH ')[0]
    tags = re.findall(r'^\.TP\n(.*)$', text, re.M)
    return [set(f.replace('\\-', '-') for f in re.findall(r'\\fB([^\\]*(?:\\-[^\\]*)*)\\fR', tag))
            for tag in tags]


def spellings(key):
    """The options an Icinga argument key stands for (-vv stands for -v)."""
    level = re.fullmatch(r'-(\w)\1+', key)
    return {f'-{level[1]}'} if level and f'-{level[1]}' in COUNT_FLAGS else {key}


def test_generated_files_are_up_to_date(capsys):
    assert generate.update(check=True) == 0, capsys.readouterr().out


@pytest.mark.parametrize('where', ['conf', *BASKETS])
def test_icinga_has_every_check_option_and_no_other(where):
    keys = set(conf_arguments() if where == 'conf' else basket_command(where)['arguments'])
    mapped = set().union(*(spellings(k) for k in keys))
    missing = [o.flags for o in CHECK_OPTIONS if not mapped & set(o.flags)]
    assert missing == [], f'options missing in the {where}'
    known = {f for o in CHECK_OPTIONS for f in o.flags}
    assert mapped - known == set(), f'the {where} names options the plugin does not have'


@pytest.mark.parametrize('path', BASKETS)
def test_conf_and_basket_pass_the_same_variables(path):
    conf = conf_arguments()
    director = basket_command(path)['arguments']
    assert set(conf) == set(director)
    for key, (variable, repeat, set_if) in conf.items():
        argument = director[key]
        assert re.findall(r'\$(\w+)\$', argument.get('value') or argument['set_if']) == [variable]
        assert argument.get('repeat_key', False) == repeat, key
        assert ('set_if' in argument) == set_if, key
        assert 'key' not in argument and 'separator' not in argument, 'dropped by Director 1.10'
        if 'set_if' in argument and not re.fullmatch(r'\$\w+\$', argument['set_if']):
            assert argument.get('set_if_format') == 'expression', key


@pytest.mark.parametrize('path', BASKETS)
def test_every_argument_has_a_described_field(path):
    shipped = basket(path)
    command = basket_command(path)
    fields = shipped['Datafield']
    variables = {re.findall(r'\$(\w+)\$', a.get('value') or a['set_if'])[0]
                 for a in command['arguments'].values()}
    assert {f['varname'] for f in fields.values()} == variables
    assert sorted(str(link['datafield_id']) for link in command['fields']) == sorted(fields)
    assert all(isinstance(link['datafield_id'], int) for link in command['fields'])
    options = {generate.PREFIX + o.dest: o for o in CHECK_OPTIONS}
    lists = shipped.get('DataList', {})
    for field in fields.values():
        option = options[field['varname']]
        assert field['caption'] and field['description'], field['varname']
        datatype = field['datatype'].rsplit('DataType', 1)[1]
        if option.choices:  # picked from a list of exactly the choices
            assert datatype == 'Datalist', field['varname']
            entries = lists[field['settings']['datalist']]['entries']
            assert sorted(e['entry_name'] for e in entries) == sorted(option.choices)
            assert field['settings']['data_type'] == (
                'array' if option.kind == 'array' else 'string')
            continue
        assert datatype in ('String', 'Number', 'Boolean', 'Array'), field['varname']
        expected = {'array': 'Array', 'flag': 'Boolean', 'count': 'Number'}.get(option.kind)
        if expected:
            assert datatype == expected, field['varname']
    assert set(lists) == {f['settings']['datalist'] for f in fields.values()
                          if f['datatype'].endswith('Datalist')}
    template = shipped['ServiceTemplate']['bonding']
    assert template['check_command'] == 'bonding'


@pytest.mark.parametrize('path', BASKETS)
def test_basket_avoids_what_director_1_10_cannot_restore(path):
    text = path.read_text()
    assert '"uuid"' not in text and '"guid"' not in text
    assert '{{' not in text, 'a DSL set_if is a function body with set_if_format expression'
    assert set(basket(path)) - {'DataList'} == {BASKETS[path], 'ServiceTemplate', 'Datafield'}


def test_the_two_baskets_differ_only_in_who_defines_the_command():
    own, external = basket(generate.BASKET), basket(generate.BASKET_EXTERNAL)
    assert own['Command']['bonding']['object_type'] == 'object'
    assert external['ExternalCommand']['bonding'].pop('object_type') == 'external_object'
    own['Command']['bonding'].pop('object_type')
    assert external.pop('ExternalCommand') == own.pop('Command')
    assert external == own


def test_readme_table_lists_every_option_and_no_other():
    rows = readme_options()
    assert sorted(map(sorted, rows)) == sorted(sorted(o.flags) for o in OPTIONS)


def test_manpage_lists_every_option_and_no_other():
    page = generate.manpage()
    assert sorted(map(sorted, manpage_options(page))) == sorted(sorted(o.flags) for o in OPTIONS)
    for option in OPTIONS:
        assert generate.roff(option.flags[0]) in page.split('.SH DESCRIPTION')[0], 'SYNOPSIS'


def test_manpage_command_writes_a_clean_roff_page(tmp_path):
    out = tmp_path / 'check_bonding.8'
    result = subprocess.run([sys.executable, REPO / 'tools/generate.py', 'manpage', out],
                            capture_output=True, text=True,
                            env={'SOURCE_DATE_EPOCH': '1700000000', 'PATH': '/usr/bin:/bin'})
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert text.splitlines()[1].startswith('.TH CHECK_BONDING 8 "2023-11-14"')
    if not shutil.which('groff'):
        pytest.skip('groff not installed: roff warnings not checked')
    lint = subprocess.run(['groff', '-man', '-ww', '-z', out], capture_output=True, text=True)
    assert lint.returncode == 0 and lint.stderr == '', lint.stderr


# --- a parser that grows: new options need no edit, or fail naming the option

def grown(monkeypatch, *add):
    """Make generate see plugin_parser() plus the arguments in add."""
    def parser():
        p = plugin_parser()
        for args, kwargs in add:
            p.add_argument(*args, **kwargs)
        return p
    monkeypatch.setattr(generate, 'parser', parser)


def test_new_options_of_known_kinds_need_no_edit(monkeypatch):
    grown(monkeypatch, (('--future-list',), dict(action='append', metavar='[BOND=]KEY=VALUE',
                                                 help='expected bonding option')),
          (('--future-flag',), dict(action='store_true', help='compare with the config')),
          (('--future-value',), dict(metavar='MBIT', help='slowest acceptable slave')))
    conf, director = generate.icinga_conf(), json.loads(generate.basket())
    assert '"--future-list" = {\n\t\t\tvalue = "$bonding_future_list$"' in conf
    assert 'repeat_key = true' in conf.split('"--future-list"')[1].split('}')[0]
    assert '"--future-flag" = {\n\t\t\tset_if = "$bonding_future_flag$"' in conf
    assert director['Command']['bonding']['arguments']['--future-value']['value'] == \
        '$bonding_future_value$'
    types = {f['varname']: f['datatype'].rsplit('DataType', 1)[1]
             for f in director['Datafield'].values()}
    assert (types['bonding_future_list'], types['bonding_future_flag'],
            types['bonding_future_value']) == ('Array', 'Boolean', 'String')
    assert '| `--future-value MBIT` | slowest acceptable slave |' in generate.readme_table()
    assert '\\fB\\-\\-future\\-list\\fR \\fI[BOND=]KEY=VALUE\\fR' in generate.manpage()


def test_an_option_that_does_not_check_is_documented_but_not_mapped(monkeypatch):
    grown(monkeypatch, (('--list-things',), dict(action='store_true',
                                                help='do not check: list the things')))
    assert '"--list-things"' not in generate.icinga_conf() + generate.basket()
    header = generate.icinga_conf().split('*/')[0].replace('\n * ', ' ')
    assert header.rstrip().endswith('something else than a check: -h, --help, --list-findings, '
                                    '--capture, -V, --version, --list-things.')
    assert '| `--list-things` | do not check: list the things |' in generate.readme_table()
    assert '\\fB\\-\\-list\\-things\\fR' in generate.manpage()


class Listing(argparse.Action):
    """An action of a kind the generator has never seen."""

    def __call__(self, parser, namespace, values, option_string=None):
        pass


@pytest.mark.parametrize('added, says', [
    ((('--speed-floor',), dict(type=float, help='x')), '--speed-floor: type=float'),
    ((('--list-things',), dict(action=Listing, nargs=0, help='x')), '--list-things: action'),
    ((('-q', '--quiet'), dict(action='count', help='x')), '--quiet: a count option needs'),
    ((('--no-thing',), dict(action='store_false', help='x')), '--no-thing: action'),
])
def test_what_cannot_be_derived_fails_naming_the_option(monkeypatch, added, says):
    grown(monkeypatch, added)
    with pytest.raises(generate.GeneratorError, match=re.escape(says)):
        generate.icinga_conf()
    assert generate.main(["--check"]) == 2  # the command line says so too


def test_extra_naming_a_removed_option_fails(monkeypatch):
    monkeypatch.setitem(generate.EXTRA, 'gone_option', {'datatype': 'string'})
    with pytest.raises(generate.GeneratorError, match='gone_option'):
        generate.basket()


# --- the man page as the package installs it : the plugin is not on PATH

def man_section(page, name):
    return page.split(f'\n.SH {name}\n')[1].split('\n.SH ')[0]


def test_manpage_synopsis_and_examples_run_the_plugin_where_the_package_puts_it():
    page = generate.manpage()
    plugin = generate.roff('/usr/lib/nagios/plugins/check_bonding')
    synopsis = man_section(page, 'SYNOPSIS')
    assert synopsis.count(f'.B {plugin}\n') == 2 and '.B check_bonding' not in synopsis
    examples = man_section(page, 'EXAMPLES').splitlines()[1:-1]
    assert examples and all(plugin in line for line in examples)
    assert generate.roff('--root /usr/share/doc/monitoring-plugins-bonding/examples/'
                         'seed-failover') in man_section(page, 'EXAMPLES')
    assert (REPO / 'examples/seed-failover').is_dir()  # what the package installs there


def test_manpage_files_name_the_plugin_the_state_directory_and_the_checkcommand():
    files = man_section(generate.manpage(), 'FILES')
    paths = [p.replace('\\-', '-') for p in re.findall(r'^\.I (.*)$', files, re.M)]
    assert paths == ['/usr/lib/nagios/plugins/check_bonding', '/var/lib/check_bonding',
                     '~/.local/state/check_bonding',
                     '/usr/share/icinga2/include/plugins-contrib.d/check_bonding.conf',
                     '/usr/share/doc/monitoring-plugins-bonding/contrib/',
                     '/usr/share/doc/monitoring-plugins-bonding/examples/']
    install = (REPO / 'debian/monitoring-plugins-bonding.install').read_text()
    assert 'usr/share/icinga2/include/plugins-contrib.d/' in install


def test_manpage_see_also_names_the_daemons_and_the_documentation():
    see_also = man_section(generate.manpage(), 'SEE ALSO')
    assert '.BR icinga2 (8),' in see_also and '.BR nrpe (8)' in see_also
    assert generate.roff('/usr/share/doc/monitoring-plugins-bonding') in see_also


def test_the_rpm_gets_its_own_paths(tmp_path):
    out = tmp_path / 'check_bonding.8'
    spec = (REPO / 'rpm/nagios-plugins-bonding.spec').read_text()
    assert '--plugin %{_libdir}/nagios/plugins/check_bonding --docs %{_docdir}/%{name}' in spec
    result = subprocess.run([sys.executable, REPO / 'tools/generate.py', 'manpage', out,
                             '--plugin', '/usr/lib64/nagios/plugins/check_bonding',
                             '--docs', '/usr/share/doc/nagios-plugins-bonding'],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    assert '.B /usr/lib64/nagios/plugins/check_bonding\n' in page
    assert 'monitoring\\-plugins\\-bonding' not in page and '/usr/lib/nagios' not in page
