"""YAML as netplan's libyaml sees it, through PyYAML's composer only (design §7).

yaml.compose with a SafeLoader that refuses every alias (billion laughs,
self-referencing nodes) and caps nodes and depth; scalars stay the strings
netplan sees: safe_load would turn a MAC into an integer and `on` into True.
A refusal is the plugin's (`Refused`: netplan itself reads such a file, so
what it defines is unknown); any other error is the file's (`YamlError`:
netplan rejects it too).
"""
from __future__ import annotations

MAX_NODES = 100_000
MAX_DEPTH = 64


class YamlError(ValueError):
    """A file that is not valid YAML: netplan rejects it too."""


def available() -> bool:
    try:
        import yaml  # noqa: F401
    except ImportError:
        return False
    return True


class Refused(YamlError):
    """Valid YAML the plugin will not compose (an alias, too many nodes)."""


def compose(data: bytes):
    """The node tree of one YAML document, or YamlError. Only the composer runs:
    no tag is ever constructed."""
    import yaml

    class Loader(yaml.SafeLoader):
        nodes = depth = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                raise Refused(f'line {mark.line + 1}: YAML alias refused')
            self.nodes += 1
            self.depth += 1
            if self.nodes > MAX_NODES or self.depth > MAX_DEPTH:
                raise Refused('too many nodes or nested too deep, refused')
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1
    loader = None
    try:
        loader = Loader(data)
        return loader.get_single_node()
    except yaml.YAMLError as err:
        raise YamlError(str(err).splitlines()[0] if str(err) else type(err).__name__) from None
    except RecursionError:
        raise Refused('nested too deep, refused') from None
    finally:
        if loader is not None:
            loader.dispose()


def to_python(node, notes: list, where: str):
    """Nodes as dicts, lists and raw scalar strings; a duplicate key merges (and is noted)."""
    import yaml
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            value = to_python(value_node, notes, where)
            if key in result:
                notes.append(f'{where}: duplicate key "{key}" (line {key_node.start_mark.line + 1}'
                             '): netplan merges them')
                value = merge(result[key], value)
            result[key] = value
        return result
    if isinstance(node, yaml.SequenceNode):
        return [to_python(item, notes, where) for item in node.value]
    return node.value if node is not None else None


def merge(old, new):
    """netplan's merge: mappings merge, sequences append, scalars override."""
    if isinstance(old, dict) and isinstance(new, dict):
        merged = dict(old)
        for key, value in new.items():
            merged[key] = merge(old[key], value) if key in old else value
        return merged
    if isinstance(old, list) and isinstance(new, list):
        return old + new
    return new
