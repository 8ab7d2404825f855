"""YAML with line numbers: plain data plus a map from key paths to source lines."""
from __future__ import annotations

import yaml

from .errors import ScenarioError

__all__ = ["load_yaml", "path_str"]

Path = tuple  # of str | int


def path_str(path: Path) -> str:
    """``('job', 'operators', 2, 'type')`` -> ``job.operators[2].type``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def load_yaml(text: str, file: str) -> tuple[object, dict[Path, int]]:
    """Parse YAML text into Python data and ``{key path: line}`` (1-based)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"not valid YAML: {problem}", file=file,
                            line=mark.line + 1 if mark else None) from None
    lines: dict[Path, int] = {}
    if node is None:
        return None, lines
    constructor = yaml.SafeLoader("")  # only its scalar constructors are used

    def build(n, path: Path):
        lines.setdefault(path, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            out = {}
            for key_node, value_node in n.value:
                key = constructor.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int, float, bool)) or isinstance(key, bool):
                    raise ScenarioError(f"a key must be a plain name, got {key!r}", file=file,
                                        line=key_node.start_mark.line + 1, path=path_str(path))
                key = str(key)
                if key in out:
                    raise ScenarioError(f"duplicate key '{key}'", file=file,
                                        line=key_node.start_mark.line + 1, path=path_str(path + (key,)))
                lines[path + (key,)] = key_node.start_mark.line + 1
                out[key] = build(value_node, path + (key,))
            return out
        if isinstance(n, yaml.SequenceNode):
            return [build(item, path + (i,)) for i, item in enumerate(n.value)]
        return constructor.construct_object(n, deep=True)

    try:
        return build(node, ()), lines
    except yaml.YAMLError as exc:
        raise ScenarioError(f"not valid YAML: {exc}", file=file) from None
