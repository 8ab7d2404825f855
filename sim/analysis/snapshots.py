"""Classic Chandy-Lamport snapshots read back from a trace, and their invariants."""
from __future__ import annotations

__all__ = ["snapshots", "check_invariants"]


def snapshots(trace) -> list[dict]:
    """``[{id, initiator, start, nodes: {process: tokens}, channels: {"A->B": [tokens, ...]}, complete}]``."""
    by_id: dict[int, dict] = {}
    for e in trace:
        kind = e["kind"]
        if kind == "cl_snapshot_start":
            by_id[e["snapshot"]] = {"id": e["snapshot"], "initiator": e["initiator"], "start": e["t"],
                                    "nodes": {}, "channels": {}, "complete": False}
        elif kind == "cl_record":
            by_id[e["snapshot"]]["nodes"][e["node"]] = e["tokens"]
        elif kind == "cl_channel_recorded":
            by_id[e["snapshot"]]["channels"][f"{e['src']}->{e['dst']}"] = e["messages"]
        elif kind == "cl_done":
            by_id[e["snapshot"]]["complete"] = True
            by_id[e["snapshot"]]["end"] = e["t"]
    out = []
    for sid in sorted(by_id):
        snap = by_id[sid]
        snap["nodes"] = dict(sorted(snap["nodes"].items()))
        snap["channels"] = dict(sorted(snap["channels"].items()))
        out.append(snap)
    return out


def check_invariants(trace, total_tokens: int) -> list[str]:
    """Violations of the algorithm's invariants in a run (empty: all hold).

    1. recorded process tokens plus recorded in-flight tokens equal the total;
    2. on every channel s->d the recorded messages are exactly those s sent before s recorded
       and d received after d recorded, in FIFO order;
    3. every snapshot completed.
    """
    problems = []
    snaps = snapshots(trace)
    record_time: dict[tuple[int, str], int] = {}     # (snapshot, node) -> position in the trace
    sends, receives = [], []
    for pos, e in enumerate(trace):
        if e["kind"] == "cl_record":
            record_time[(e["snapshot"], e["node"])] = pos
        elif e["kind"] == "cl_send":
            sends.append((pos, e["src"], e["dst"], e["tokens"]))
        elif e["kind"] == "cl_receive":
            receives.append((pos, e["src"], e["dst"], e["tokens"]))
    for snap in snaps:
        sid = snap["id"]
        if not snap["complete"]:
            problems.append(f"snapshot {sid} never completed")
            continue
        total = sum(snap["nodes"].values()) + sum(sum(m) for m in snap["channels"].values())
        if total != total_tokens:
            problems.append(f"snapshot {sid}: recorded {total} tokens, the system holds {total_tokens}")
        for ch, recorded in snap["channels"].items():
            src, dst = ch.split("->")
            sent_before = [i for i, (p, s, d, _) in enumerate(x for x in sends if x[1] == src and x[2] == dst)
                           if p < record_time[(sid, src)]]
            link_receives = [(p, n) for p, s, d, n in receives if s == src and d == dst]
            expected = [n for k, (p, n) in enumerate(link_receives)
                        if k in set(sent_before) and p > record_time[(sid, dst)]]
            if expected != list(recorded):
                problems.append(f"snapshot {sid}: channel {ch} recorded {recorded}, expected {expected}")
    return problems
