"""Restoring a checkpoint into a job of another shape: state redistribution on rescaling (docs/lifecycle.md).

A checkpoint holds one snapshot per (chained) subtask, ``{operator: state}``. When a job is
submitted from it with the same tasks, each subtask gets its own snapshot back. Otherwise each
operator's state is gathered from every old subtask and redistributed as Flink does:

* keyed state (``keyed_sum``) by key groups: new subtask ``i`` of ``n`` keeps the keys whose key
  group falls in its range (:mod:`sim.runtime.keygroups`);
* source offsets by partition: every subtask sees all restored offsets and takes those of its
  partitions (a partition without a restored offset starts from the earliest);
* sink state as a list redistributed round robin (old subtask ``j`` goes to new subtask ``j % n``):
  pending transactions are committed and open ones aborted by whichever new subtask gets them.
  KafkaSink also needs the restored checkpoint id, to probe ids from there.
"""
from __future__ import annotations

from .keygroups import DEFAULT_MAX_PARALLELISM, operator_index

__all__ = ["restored_state"]


def _index(task_name: str) -> int:
    return int(task_name.rsplit("[", 1)[1].rstrip("]"))


def restored_state(checkpoint, spec, reshaped: bool) -> dict | None:
    """``{operator: state}`` for subtask ``spec`` of the new job (None: nothing to restore)."""
    if checkpoint is None:
        return None
    if not reshaped:
        return checkpoint.tasks[spec.name].state
    out = {}
    for op in spec.ops:
        old = sorted(((_index(name), snap.state[op.name]) for name, snap in checkpoint.tasks.items()
                      if op.name in snap.state), key=lambda x: x[0])
        out[op.name] = _assign(op, old, spec.index, spec.parallelism, checkpoint.id)
    return out


def _assign(op, old: list, index: int, parallelism: int, checkpoint_id: int):
    states = [s for _, s in old if s is not None]
    if op.type == "kafka_source":
        return {p: offset for s in states for p, offset in s.items()}
    if op.type == "keyed_sum":
        maxp = getattr(op, "max_parallelism", DEFAULT_MAX_PARALLELISM)
        return {k: v for s in states for k, v in s.items() if operator_index(k, maxp, parallelism) == index}
    if op.type == "kafka_sink":
        mine = [s for j, s in old if s is not None and j % parallelism == index]
        pending = sorted((p for s in mine for p in s["pending"]), key=lambda p: p[0])
        if op.implementation == "KafkaSink":
            prefix = mine[0]["prefix"] if mine else None
            return {"pending": pending, "prefix": prefix, "checkpoint": checkpoint_id}
        return {"pending": pending, "opens": [s["open"] for s in mine if s.get("open")]}
    return states[0] if states else None
