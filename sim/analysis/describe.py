"""One line of plain English per trace event: what the step lists and hover texts of the views say."""
from __future__ import annotations

import re

__all__ = ["describe", "state_text", "value_text"]

_DESCRIBE = {
    "barrier_receive": "barrier {checkpoint} reached {task} on {channel}",
    "barrier_send": "{task} sent barrier {checkpoint} to {to}",
    "barrier_inject": "{task} injected barrier {checkpoint} at offsets {offsets}",
    "snapshot_sync_start": "{task} snapshots checkpoint {checkpoint}",
    "snapshot_sync_end": "{task}: synchronous part of snapshot {checkpoint} done",
    "snapshot_async_end": "{task}: snapshot {checkpoint} uploaded",
    "alignment_start": "{task} starts aligning checkpoint {checkpoint} (first barrier on {channel})",
    "alignment_end": "{task} aligned checkpoint {checkpoint}",
    "channel_block": "{task} blocks {channel}",
    "channel_unblock": "{task} releases {channel}",
    "record_buffered": "{task} stores a record of blocked {channel}",
    "checkpoint_trigger": "the JobManager triggers checkpoint {checkpoint}",
    "checkpoint_ack": "{task} acknowledges checkpoint {checkpoint}",
    "checkpoint_abort": "checkpoint {checkpoint} aborted: {reason}",
    "checkpoint_notify": "{task} learns checkpoint {checkpoint} completed",
    "task_crash": "{task} crashed: {reason}",
    "job_failing": "job failing over (attempt {attempt}): in-flight data dropped",
    "job_failed": "job failed for good: {reason}",
    "job_restart": "restart, attempt {attempt}, from checkpoint {checkpoint}",
    "state_restore": "{task} restores {state} from checkpoint {checkpoint}",
    "source_offset_reset": "{task} starts {topic}-{partition} at offset {offset} ({cause})",
    "source_read": "{task} reads {read}",
    "record_send": "{task} sent {vals} to {to} (arrives {arrive})",
    "record_receive": "{task} takes a buffer from {channel}",
    "record_process": "{task} processed {vals}",
    "kafka_append": "{task} wrote {value} to {topic}-{partition} at offset {offset} ({txn})",
    "consumer_read": "reader {consumer} read {value} ({topic}-{partition} offset {offset})",
    "txn_begin": "{task} opens {txn}",
    "txn_precommit": "{task} pre-commits {txn} ({records} records) for checkpoint {checkpoint}",
    "txn_commit": "{task} committed {txn} ({records} records)",
    "txn_abort": "{task} aborted {txn} ({records} records): {cause}",
    "txn_timeout": "the broker aborted {txn}: older than its timeout",
    "checkpoint_complete": "checkpoint {checkpoint} completed",
    "fault_injected": "fault: {fault}",
}


STATE_LIMIT = 12       # entries of an operator's state written out, as the pictures' hover texts do


class _Fields(dict):
    """Event fields for a pattern; a field the event lacks reads as '?' (old traces)."""

    def __missing__(self, key: str) -> str:
        if key == "vals":
            return ", ".join(str(tuple(v)) if isinstance(v, list) else str(v) for v in self.get("values") or []) \
                or "nothing"
        if key == "read":
            return ", ".join(f"{o[0]}-{o[1]} offset {o[2]}" for o in self.get("origins") or [])
        return "?"


def describe(e: dict) -> str:
    """One line saying what an event is, for step lists and the report."""
    pattern = _DESCRIBE.get(e["kind"])
    if pattern is not None:
        fields = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in e.items()}
        if str(fields.get("consumer", "")).startswith("_"):      # internal readers are never named to users
            fields["consumer"] = "of the checker"
        if "state" in fields:                                    # as the pictures write it: 'none', not None
            fields["state"] = state_text(fields["state"], STATE_LIMIT)
        text = pattern.format_map(_Fields(fields))
        if e["kind"] == "snapshot_sync_start" and e.get("state") is not None:
            text += f": {fields['state']}"
        return text
    extra = ", ".join(f"{f}={e[f]}" for f in ("checkpoint", "channel", "txn", "values") if f in e)
    return f"{e['kind']} {e.get('task', '')} {extra}".strip()


def state_text(state, limit: int = 4, sep: str = " ", wrap: bool = False) -> str:
    """A state as the pictures' labels write it: ``{hello:1}``; a chain's ``{count: {...}, sink: {...}}``
    as ``count{...} sink{...}`` (its operators joined by ``sep``; with ``wrap`` each entry of an
    operator on a line of its own); at most ``limit`` entries per operator."""
    if isinstance(state, dict):
        items = list(state.items())
        if items and all(isinstance(v, dict) or v is None for _, v in items) and \
                any(isinstance(v, dict) for _, v in items):                   # per operator of a chain
            return sep.join(f"{k}{state_text(v, limit, wrap=wrap)}" for k, v in items if v)
        text = (",\n " if wrap else ", ").join(f"{k}:{value_text(v)}" for k, v in items[:limit])
        return "{" + text + ("…}" if len(items) > limit else "}")
    return value_text(state)


#: a sink transaction id (``sink[0]#2``): written as the picture's own name for it, T2
_TXN_ID = re.compile(r"^.+\[[0-9]+\]#([0-9]+)$")


def txn_text(txn: str | None, of: bool = True) -> str:
    """A sink transaction as the pictures name it: ``sink[0]#2`` -> ``T2 of sink[0]`` (``of=False``:
    ``T2``, where the sink is plain, as in its own task's card); any other id unchanged."""
    m = _TXN_ID.match(txn or "")
    if not m:
        return "none" if txn is None else txn
    return f"T{m.group(1)} of {txn[:txn.rindex('#')]}" if of else f"T{m.group(1)}"


def value_text(v) -> str:
    """One value of a state: ``none`` for None or an empty list, a sink transaction id as ``T<n>``."""
    if v is None or v == []:                 # "open:none": no transaction open, "pending:none": none waiting
        return "none"
    if isinstance(v, str) and (m := _TXN_ID.match(v)):
        return f"T{m.group(1)}"
    if isinstance(v, (list, tuple)):
        return ",".join(value_text(x) for x in v)
    if isinstance(v, dict):
        return state_text(v)
    return str(v)
