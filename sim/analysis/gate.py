"""The gate verdict, read from a trace: emitted order, triggers, aborts, blocked channels, persisted."""
from __future__ import annotations

__all__ = ["gate_result"]


def gate_result(trace) -> dict:
    """``{emitted, triggered, aborted, blocked_after, persisted, stored, alignments, trigger_after}``.

    ``trigger_after`` maps each triggered checkpoint to the index of the item whose handling
    triggered it (None for a timer).
    """
    emitted, triggered, aborted, persisted, stored, aligned = [], [], [], {}, [], {}
    trigger_after = {}
    blocked = {}
    for e in trace:
        kind = e["kind"]
        if kind in ("gate_item", "gate_timer"):
            for action in e["actions"]:
                name = action[0]
                if name == "emit":
                    emitted.append(action[1])
                elif name == "trigger":
                    triggered.append(action[1])
                    trigger_after[action[1]] = e.get("index")
                elif name == "abort":
                    aborted.append([action[1], action[2]])
                elif name == "persist":
                    persisted.setdefault(action[1], []).append(action[2])
                elif name == "store":
                    stored.append(action[2])
                elif name == "aligned":
                    aligned[action[1]] = {"duration": action[2], "processed_bytes": action[3]}
        elif kind == "gate_blocked":
            blocked[e["index"]] = e["blocked"]
    return {"emitted": emitted, "triggered": triggered, "aborted": aborted,
            "blocked_after": [blocked[i] for i in sorted(blocked)], "persisted": persisted,
            "stored": stored, "alignments": aligned, "trigger_after": trigger_after}
