"""The ``gate`` scenario: one task's input gate fed a scripted arrival sequence.

Items arrive at their times (``index x step`` unless ``at:`` is given) into per-channel FIFO
queues. Whenever the task is free it takes, in this order: a due timer; a queued barrier that the
handler wants with priority (unaligned: it overtakes the data queued ahead of it, which is handed
over as ``overtaken``); else the earliest-arrived item of a channel it may read (blocked channels
wait in ``block`` mode, are read and stored in ``buffer`` mode). Emitting a data buffer keeps the
task busy for ``processing_time``. After each arrival and the work it allowed at that instant,
the blocked channels are recorded. Everything goes to the trace; ``analysis.gate`` reads it back.

A plain deterministic loop: a single task needs no SimPy scheduling.
"""
from __future__ import annotations

import heapq
from collections import deque

from ..scenario import GateScenario
from ..snapshot.handlers import (Abort, Aligned, Barrier, Block, CancelMarker, Emit, EndOfPartition, Persist, SetTimer,
                                 Store, Trigger, Unblock, make_handler)
from ..trace import Trace

__all__ = ["run_gate", "GateBuffer"]


class GateBuffer:
    """A data buffer of the gate: its index in the sequence and its size in bytes."""
    __slots__ = ("index", "size")

    def __init__(self, index: int, size: int) -> None:
        self.index, self.size = index, size

    def __repr__(self) -> str:
        return f"B#{self.index}"


def _objects(scenario: GateScenario, items) -> list:
    created = dict(scenario.created)
    for it in items:
        if it.what in ("barrier", "cancel"):
            created.setdefault(it.checkpoint, it.at)
    objs = []
    for i, it in enumerate(items):
        if it.what == "data":
            objs.append(GateBuffer(i, it.size))
        elif it.what == "barrier":
            objs.append(Barrier(it.checkpoint, created[it.checkpoint], it.unaligned))
        elif it.what == "cancel":
            objs.append(CancelMarker(it.checkpoint))
        else:
            objs.append(EndOfPartition())
    return objs


def _describe(action, index_of) -> list:
    kind = type(action)
    if kind is Emit:
        return ["emit", index_of(action.item), action.replay]
    if kind is Trigger:
        return ["trigger", action.id, action.unaligned]
    if kind is Abort:
        return ["abort", action.id, action.reason]
    if kind is Block:
        return ["block", action.channel]
    if kind is Unblock:
        return ["unblock", action.channel]
    if kind is Persist:
        return ["persist", action.id, index_of(action.item)]
    if kind is Store:
        return ["store", action.id, index_of(action.item)]
    if kind is SetTimer:
        return ["timer", action.at, action.id]
    if kind is Aligned:
        return ["aligned", action.id, action.duration, action.processed_bytes]
    raise TypeError(action)


def run_gate(scenario: GateScenario, trace: Trace) -> None:
    """Drive the scenario's handler through its sequence, writing gate_* events to ``trace``."""
    items = scenario.items()
    objs = _objects(scenario, items)
    index_of_obj = {id(o): i for i, o in enumerate(objs)}
    handler = make_handler(scenario.handler, scenario.channels, alignment=scenario.alignment,
                           end_of_partition=scenario.end_of_partition,
                           max_buffered_bytes=scenario.max_buffered_bytes,
                           aligned_timeout=scenario.aligned_timeout, size_of=lambda o: o.size)
    order = sorted(range(len(items)), key=lambda i: (items[i].at, i))
    rank = {i: r for r, i in enumerate(order)}
    queues = [deque() for _ in range(scenario.channels)]
    timers: list = []
    state = {"busy_until": 0.0}

    def index_of(obj):
        return index_of_obj[id(obj)]

    def apply(actions, now):
        described = []
        for a in actions:
            if type(a) is SetTimer:
                heapq.heappush(timers, (a.at, len(timers), a.id))
            elif type(a) is Emit and type(a.item) is GateBuffer:
                state["busy_until"] = max(state["busy_until"], now) + scenario.processing_time
            described.append(_describe(a, index_of))
        return described

    def take(now) -> bool:
        if timers and timers[0][0] <= now:
            _, _, cid = heapq.heappop(timers)
            trace.emit(now, "gate_timer", checkpoint=cid, actions=apply(handler.on_timer(cid, now), now))
            return True
        for ch, q in enumerate(queues):          # a barrier that overtakes queued data
            for pos, idx in enumerate(q):
                obj = objs[idx]
                if type(obj) is Barrier and handler.wants_priority(obj, now):
                    ahead = [objs[j] for j in list(q)[:pos] if type(objs[j]) is GateBuffer]
                    del q[pos]
                    actions = handler.on_barrier(ch, obj, now, ahead)
                    trace.emit(now, "gate_item", index=idx, channel=ch, item=items[idx].text, priority=True,
                               actions=apply(actions, now))
                    return True
        readable = [ch for ch, q in enumerate(queues) if q and (handler.reads_blocked or ch not in handler.blocked)]
        if not readable:
            return False
        ch = min(readable, key=lambda c: rank[queues[c][0]])
        idx = queues[ch].popleft()
        actions = handler.on_item(ch, objs[idx], now)
        trace.emit(now, "gate_item", index=idx, channel=ch, item=items[idx].text, priority=False,
                   actions=apply(actions, now))
        return True

    def work(now):
        while state["busy_until"] <= now and take(now):
            pass

    def has_work(now) -> bool:
        return any(q and (handler.reads_blocked or ch not in handler.blocked) for ch, q in enumerate(queues)) or \
            any(type(objs[i]) is Barrier and handler.wants_priority(objs[i], now) for q in queues for i in q)

    now, pos, inf = 0.0, 0, float("inf")
    while True:
        arrival = items[order[pos]].at if pos < len(order) else inf
        free = max(now, state["busy_until"])
        nxt = inf
        if has_work(free):
            nxt = free
        if timers:
            nxt = min(nxt, max(timers[0][0], free))
        if arrival == inf and nxt == inf:
            break
        if arrival <= nxt:
            now = arrival
            idx = order[pos]
            pos += 1
            queues[items[idx].channel].append(idx)
            trace.emit(now, "gate_arrive", index=idx, channel=items[idx].channel, item=items[idx].text)
            work(now)
            trace.emit(now, "gate_blocked", index=idx, blocked=sorted(handler.blocked))
        else:
            now = nxt
            work(now)
