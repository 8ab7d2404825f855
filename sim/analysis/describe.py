"""One line of plain English per trace event: what the step lists and hover texts of the views say."""
from __future__ import annotations

__all__ = ["describe"]

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
        text = pattern.format_map(_Fields(fields))
        if e["kind"] == "snapshot_sync_start" and e.get("state") is not None:
            text += f": {e['state']}"
        return text
    extra = ", ".join(f"{f}={e[f]}" for f in ("checkpoint", "channel", "txn", "values") if f in e)
    return f"{e['kind']} {e.get('task', '')} {extra}".strip()
