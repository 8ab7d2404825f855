"""``--set key.path=value`` overrides applied to the raw scenario data before validation."""
from __future__ import annotations

import copy
import re

from .errors import ScenarioError

__all__ = ["apply_overrides", "split_path", "override_paths", "option_name"]

_PART = re.compile(r"([^.\[\]]+)|\[([0-9]+)\]")


def split_path(path: str) -> list:
    """``job.operators[1].parallelism`` -> ``['job', 'operators', 1, 'parallelism']``."""
    parts, pos = [], 0
    for m in _PART.finditer(path):
        if m.start() != pos and path[pos] != ".":
            raise ValueError(path)
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
        if pos < len(path) and path[pos] == ".":
            pos += 1
    if not parts or pos != len(path):
        raise ValueError(path)
    return parts


def option_name(item: str) -> str:
    """How an error names a ``--set`` option: ``option --set key=value``."""
    return f"option --set {item}"


def override_paths(overrides) -> list[tuple]:
    """The key paths the (well-formed) overrides set."""
    out = []
    for item in overrides:
        try:
            out.append((tuple(split_path(item.partition("=")[0].strip())), item))
        except ValueError:
            pass
    return out


def apply_overrides(data: dict, overrides, file: str) -> dict:
    """A copy of ``data`` with each ``key.path=value`` (value parsed as YAML) set; errors name the option."""
    from .yamlsrc import load_yaml

    if not overrides:
        return data
    data = copy.deepcopy(data)
    for item in overrides:
        key, sep, raw = item.partition("=")
        where = option_name(item)
        try:
            if not sep:
                raise ValueError(item)
            parts = split_path(key.strip())
        except ValueError:
            raise ScenarioError(f"--set takes key.path=value (e.g. job.parallelism=3), got {item!r}",
                                file=where) from None
        try:
            value = load_yaml(raw, where)[0] if raw.strip() else None
        except ScenarioError as exc:
            raise ScenarioError(f"the value {exc.message}" if exc.message.startswith("not valid") else exc.message,
                                file=where, path=key.strip()) from None
        if parts[-1] == "flink_version":
            value = raw.strip()        # a release is text: 1.20 is not the number 1.2
        node = data
        for depth, part in enumerate(parts[:-1]):
            nxt = parts[depth + 1]
            try:
                if isinstance(part, int):
                    node = node[part]
                else:
                    node = node.setdefault(part, [] if isinstance(nxt, int) else {})
            except (IndexError, TypeError, AttributeError, KeyError):
                raise ScenarioError(f"there is no {part!r} to descend into", file=where, path=key) from None
        last = parts[-1]
        try:
            node[last] = value
        except (IndexError, TypeError):
            raise ScenarioError(f"cannot set {last!r} here", file=where, path=key) from None
    return data
