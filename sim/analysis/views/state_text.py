"""The state at an instant as short lines of text: the notebook player's panel.

States and transactions are written as the pictures write them (:func:`as_pictures`, which the
HTML report's panel uses too): ``count{hello:1}``, ``T2``.

One line per subtask (status, what each input channel holds head first, alignment, state, open
transactions), then the checkpoint in progress, the last failure and restore, the Kafka partitions
and the readers. Channel items read ``[barrier 1]`` for a barrier, ``hello`` for an arrived record
and ``~hello`` for one still in flight; ``*`` marks a replayed record.
"""
from __future__ import annotations

from ..describe import state_text, txn_text

__all__ = ["state_lines", "as_pictures"]


def as_pictures(state: dict) -> dict:
    """A copy of a Timeline state that says what the pictures say: a state ``count{hello:1}
    sink{pending:T1, open:T2}``, a transaction ``T2`` on its own sink's line and ``T2 of sink[0]``
    elsewhere, offsets ``{words-0:3}`` (the HTML report's panel and the player's)."""
    state = dict(state)

    def text(v):                                  # an empty state is "none", as on a snapshot's label
        return None if v is None else state_text(v) or "none"

    def states(by_task):
        return None if by_task is None else {name: text(v) for name, v in by_task.items()}

    def snapshot(snap):
        return snap and dict(snap, state=text(snap.get("state")))

    state["tasks"] = [dict(task, state=text(task["state"]), snapshot=snapshot(task.get("snapshot")),
                           position=state_text(task["position"]) if task["position"] else "",
                           open_txn=task["open_txn"] and txn_text(task["open_txn"], of=False),
                           pending_txns=[txn_text(x, of=False) for x in task["pending_txns"]]) for task in state["tasks"]]
    state["partitions"] = [dict(p, open=[txn_text(x) for x in p["open"]],
                                entries=[dict(e, txn=txn_text(e["txn"])) if e.get("txn") else e for e in p["entries"]])
                           for p in state["partitions"]]
    if state.get("failure"):
        f = state["failure"]
        state["failure"] = dict(f, states=states(f["states"]),
                                open_txns=[dict(x, txn=txn_text(x["txn"])) for x in f["open_txns"]])
    if state.get("restore"):
        r = state["restore"]
        state["restore"] = dict(r, states=states(r["states"]), offsets=state_text(r["offsets"] or {}),
                                aborted=[dict(x, txn=txn_text(x["txn"])) for x in r["aborted"]])
    return state


def _fmt(t: float) -> str:
    return f"{t:g}"


def _item(item: dict, t: float) -> str:
    text = f"[{item['label']}]" if item["kind"] == "barrier" else item["label"]
    return ("~" if item["arrive"] > t + 1e-9 else "") + ("*" if item.get("replay") else "") + text


def _task_line(task: dict, t: float, width: int = 10) -> str:
    flags = [task["status"].upper()] if task["status"] != "running" else []
    if task["blocked"]:
        flags.append("BLOCKED")
    if task["snapshot"]:
        flags.append(f"snapshot {task['snapshot']['checkpoint']} ({task['snapshot']['phase']})")
    parts = [f"{task['name']:<{width}}"] + ([" ".join(flags)] if flags else [])
    for ch in task["channels"]:
        if ch["items"] or ch["blocked"]:
            items = " ".join(_item(i, t) for i in ch["items"]) or "-"
            parts.append(f"from {ch['from']}{' (blocked)' if ch['blocked'] else ''}: {items}")
    if task["in_hand"]:
        parts.append(f"processing: {task['in_hand']['label']}")
    if task["buffered"]:
        parts.append("buffer: " + " ".join(b["label"] for b in task["buffered"]))
    if task["state"] is not None:
        parts.append(f"state {task['state']}")
    if task["position"]:
        parts.append(f"next offset {task['position']}")
    if task["open_txn"] or task["pending_txns"]:
        parts.append(f"txn open {task['open_txn'] or 'none'}" +
                     (f", pending {', '.join(task['pending_txns'])}" if task["pending_txns"] else ""))
    return "  ".join(parts).rstrip()


def _failure_lines(state: dict) -> list[str]:
    f = state["failure"]
    if f is None:
        return []
    unknown = f"not recorded in a {state['level']} trace"
    lost = unknown if f["dropped"] is None else "; ".join(
        (f"{d['where']} was processing " if d.get("in_hand") else f"{d['where']}: ") + ", ".join(d["items"])
        for d in f["dropped"]) or "nothing in the channels"
    open_txns = "; ".join(f"{x['txn']} ({x['records']}: {', '.join(map(str, x['values']))})" if x["records"] is not None
                          else f"{x['txn']} (records {unknown})" for x in f["open_txns"] if x["records"] != 0) or "none"
    return [f"FAILURE at {_fmt(f['t'])} ms: {', '.join(f['crashed']) or 'the job'} - {f['reason']}",
            f"  lost in flight: {lost}", f"  uncommitted output: {open_txns}",
            f"  state at the failure: {unknown if f['states'] is None else _by_task(f['states'])}"]


def _by_task(states: dict) -> str:
    """``task: count{hello:1}; ...`` (tasks without state left out)."""
    return "; ".join(f"{name}: {text}" for name, text in states.items() if text is not None) or "none"


def _restore_lines(state: dict) -> list[str]:
    r = state["restore"]
    if r is None:
        return []
    aborted = ", ".join(f"{a['txn']} ({a['records']})" for a in r["aborted"]) or "none"
    return [f"RESTORE at {_fmt(r['t'])} ms (attempt {r['attempt']}) from checkpoint {r['checkpoint']}: "
            f"sources at {r['offsets']}", f"  aborted: {aborted}",
            f"  replayed so far: {', '.join(map(str, r['replayed'])) or 'nothing yet'}"]


def state_lines(state: dict, t: float | None = None) -> list[str]:
    """The state (from :class:`sim.analysis.state.Timeline`) as lines of text, seen at time ``t``."""
    state = as_pictures(state)
    t = state["t"] if t is None else t
    job = state["job"]
    lines = [f"t = {_fmt(t)} ms   job {job['status']}, attempt {job['attempt']}"]
    lines += [f"note: {n}" for n in state["notes"]]
    for cp in state["checkpoints"]:
        if cp["status"] == "in progress":
            lines.append(f"checkpoint {cp['id']} in progress since {_fmt(cp['trigger'])} ms; acked by "
                         f"{', '.join(cp['acked']) or 'nobody'}; waiting for {len(cp['waiting'])}")
    failing = state["failure"] is not None and (state["restore"] is None or state["restore"]["t"] < state["failure"]["t"])
    lines += _failure_lines(state) if failing else []
    lines += _restore_lines(state) if state["restore"] is not None and not failing else []
    width = max((len(task["name"]) for task in state["tasks"]), default=10)
    lines += [_task_line(task, t, width) for task in state["tasks"]]
    for p in state["partitions"]:
        hw = ("≥" if p["role"] == "input" else "") + str(p["hw"])
        lines.append(f"{p['topic']}-{p['partition']}: high watermark {hw}, last stable offset {p['lso']}"
                     + (f", open {', '.join(p['open'])}" if p["open"] else ""))
    for name, r in state["readers"].items():
        lines.append(f"reader {name} ({r['isolation']}): {', '.join(map(str, r['read'][-8:])) or '-'}")
    return lines
