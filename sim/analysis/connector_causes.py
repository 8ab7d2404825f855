"""Causes of exactly-once violations that come from the Kafka connectors (docs/connectors.md).

Each function returns the checker's ``(cause, sentence, checkpoint)`` triple, or None when the
cause does not apply: the cause is what the checker groups by, the sentence is the example.
"""
from __future__ import annotations

__all__ = ["dirty_input", "discarded_commit"]


def _origin(origin) -> str:
    return f"{origin[0]}-{origin[1]}@{origin[2]}" if origin else "an unknown input"


def dirty_input(kind: str, value, reads, ctx, tail: str = ""):
    """An output computed from input that never committed (a read_uncommitted source), or None.

    ``reads`` are the reads to look through (for an over-count: every read of the key).
    """
    for r in reads:
        origin = r.get("origin") or []
        txn = ctx.txns.get(ctx.input_txn.get(tuple(origin[:3])))
        if txn is None or txn["status"] == "committed":
            continue
        state = f"{txn['cause'] or 'aborted'} at {txn['ended']:g} ms" if txn["status"] == "aborted" else \
            "never committed"
        cause = ("computed from input records that were never committed: the source reads read_uncommitted "
                 "(Flink's sources do not set isolation.level) -- set isolation: read_committed on the source")
        return cause, (f"{kind}: {value}{tail}: its input {_origin(origin)} was written in transaction {txn['id']} "
                       f"({txn['transactional_id']}), {state}; the source reads read_uncommitted (Flink's sources "
                       f"do not set isolation.level), so it processed records that were never committed -- set "
                       f"isolation: read_committed on the source."), None
    return None


def discarded_commit(value, src: str, txn: dict, ctx):
    """A loss whose cause is KafkaSink's committer giving up a refused commit (no failover)."""
    if txn is None or txn.get("discarded") is None:
        return None
    why = ""
    t = ctx.timeouts.get(txn["id"])
    if t is not None:
        why = (f" the broker had aborted it at {t['t']:g} ms, {t['age']:g} ms after its first write, longer than "
               f"its transaction_timeout of {t['timeout']:g} ms;")
    cause = (f"a commit discarded by KafkaSink: the broker refused it ({txn['discard_error']}) and the committer "
             f"gave it up without failing over")
    return cause, (f"loss: {value} (from {src}) was written in transaction {txn['id']} of checkpoint "
                   f"{txn['checkpoint']}:{why} KafkaSink's committer got {txn['discard_error']} at "
                   f"{txn['discarded']:g} ms and discarded the commit without failing over, so its {txn['records']} "
                   f"record(s) are lost silently."), txn.get("checkpoint")
