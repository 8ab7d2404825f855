"""Import the text format of COS 418's Chandy-Lamport tests (.top, .events, .snap) as a scenario."""
from __future__ import annotations

import re

from .errors import ScenarioError

__all__ = ["import_cos418", "parse_snap"]

_TOKEN = re.compile(r"^token\((-?[0-9]+)\)$")


def _lines(text: str):
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield number, line.split()


def _parse_top(text: str, file: str) -> tuple[dict, list]:
    rows = list(_lines(text))
    if not rows or len(rows[0][1]) != 1 or not rows[0][1][0].isdigit():
        raise ScenarioError("the first line must be the number of servers", file=file, line=rows[0][0] if rows else 1)
    n = int(rows[0][1][0])
    nodes, links = {}, []
    for number, parts in rows[1:1 + n]:
        if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
            raise ScenarioError(f"expected 'id tokens', got {' '.join(parts)!r}", file=file, line=number)
        nodes[parts[0]] = int(parts[1])
    for number, parts in rows[1 + n:]:
        if len(parts) != 2:
            raise ScenarioError(f"expected 'src dst', got {' '.join(parts)!r}", file=file, line=number)
        links.append(parts)
    return nodes, links


def _parse_events(text: str, file: str) -> list[dict]:
    now, events = 0, []
    for number, parts in _lines(text):
        word = parts[0]
        if word == "tick" and len(parts) <= 2:
            now += int(parts[1]) if len(parts) == 2 else 1
        elif word == "send" and len(parts) == 4 and parts[3].isdigit():
            events.append({"at": now, "send": [parts[1], parts[2], int(parts[3])]})
        elif word == "snapshot" and len(parts) == 2:
            events.append({"at": now, "snapshot": parts[1]})
        else:
            raise ScenarioError(f"expected 'send A B n', 'snapshot X' or 'tick [N]', got {' '.join(parts)!r}",
                                file=file, line=number)
    return events


def parse_snap(text: str, file: str = "<snap>") -> dict:
    """A .snap file -> ``{id, nodes, channels}`` as in a scenario's ``expect.snapshots``."""
    rows = list(_lines(text))
    if not rows:
        raise ScenarioError("empty snapshot file", file=file)
    snap = {"id": int(rows[0][1][0]), "nodes": {}, "channels": {}}
    for number, parts in rows[1:]:
        if len(parts) == 2:
            snap["nodes"][parts[0]] = int(parts[1])
        elif len(parts) == 3 and (m := _TOKEN.match(parts[2])):
            snap["channels"].setdefault(f"{parts[0]}->{parts[1]}", []).append(int(m.group(1)))
        else:
            raise ScenarioError(f"expected 'id tokens' or 'src dst token(n)', got {' '.join(parts)!r}",
                                file=file, line=number)
    return snap


def import_cos418(top_text: str, events_text: str, snaps: list[str] = (), name: str = "cos418",
                  top_file: str = "<top>", events_file: str = "<events>") -> dict:
    """The scenario (as plain data) of a COS 418 test: 1-5 tick FIFO delays, as in the original."""
    nodes, links = _parse_top(top_text, top_file)
    data = {"kind": "chandy_lamport", "name": name,
            "description": f"imported from the COS 418 test data ({top_file}, {events_file})",
            "nodes": nodes, "links": links, "delay": {"min": 1, "max": 5},
            "events": _parse_events(events_text, events_file)}
    if snaps:
        data["expect"] = {"snapshots": sorted((parse_snap(t) for t in snaps), key=lambda s: s["id"])}
    return data
