"""``--set key.path=value`` overrides applied to the raw scenario data before validation."""
from __future__ import annotations

import copy
import re

import yaml

from .errors import ScenarioError

__all__ = ["apply_overrides", "split_path"]

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


def apply_overrides(data: dict, overrides, file: str) -> dict:
    """A copy of ``data`` with each ``key.path=value`` (value parsed as YAML) set."""
    if not overrides:
        return data
    data = copy.deepcopy(data)
    for item in overrides:
        key, sep, raw = item.partition("=")
        try:
            if not sep:
                raise ValueError(item)
            parts = split_path(key.strip())
        except ValueError:
            raise ScenarioError(f"--set takes key.path=value (e.g. job.parallelism=3), got {item!r}",
                                file=file) from None
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
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
                raise ScenarioError(f"--set {key}: there is no {part!r} to descend into", file=file) from None
        last = parts[-1]
        try:
            node[last] = value
        except (IndexError, TypeError):
            raise ScenarioError(f"--set {key}: cannot set {last!r} here", file=file) from None
    return data
