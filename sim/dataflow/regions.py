"""Pipelined regions: the tasks a failover strategy restarts together.

In a streaming job every channel is pipelined, so a pipelined region is a connected component of
the tasks joined by channels (Flink's PipelinedRegionComputeUtil). A keyBy, rebalance or broadcast
edge connects every upstream subtask to every downstream one, so a job with such an edge is one
region; a forward-only job has one region per parallel pipeline. Failover strategy ``full``
restarts every task; ``region`` (Flink >= 1.10) only the region of the failed task.
"""
from __future__ import annotations

from typing import Iterable

__all__ = ["pipelined_regions", "region_of"]


def pipelined_regions(tasks: Iterable[str], links: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The connected components of ``tasks`` under ``links`` (sender, receiver), each in task order,
    ordered by their first task."""
    order = list(tasks)
    parent = {t: t for t in order}

    def root(t: str) -> str:
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    for a, b in links:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb, key=order.index)] = min(ra, rb, key=order.index)
    groups: dict[str, list[str]] = {}
    for t in order:
        groups.setdefault(root(t), []).append(t)
    return list(groups.values())


def region_of(task: str, regions: list[list[str]]) -> list[str]:
    """The region holding ``task``."""
    return next(r for r in regions if task in r)
