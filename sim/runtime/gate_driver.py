"""The ``gate`` scenario: one task's input gate fed a scripted arrival sequence.

Items arrive at their times (``index x step`` unless ``at:`` is given) into per-channel FIFO
queues. Whenever the task is free it takes, in this order: a due timer; a queued barrier that the
handler wants with priority (unaligned: it overtakes the data queued ahead of it, which is handed
over as ``overtaken``); else the earliest-arrived item of a channel it may read (blocked channels
wait in ``block`` mode, are read and stored in ``buffer`` mode; equal arrival times go to the
lower channel). Emitting a data buffer keeps the task busy for ``processing_time``. After each
arrival and the work it allowed at that instant, the blocked channels are recorded. Everything
goes to the trace; ``analysis.gate`` reads it back.

The reading rules and the action interpreter are the running task's own
(:class:`~sim.runtime.input_gate.InputGate`, :func:`~sim.runtime.input_gate.interpret`); this
module only scripts the arrivals and the clock -- a plain deterministic loop, as a single task
needs no SimPy scheduling -- and describes each action for the trace.
"""
from __future__ import annotations

import heapq
from collections import deque

from ..scenario import GateScenario
from ..snapshot.handlers import (Abort, Aligned, Barrier, Block, CancelMarker, Emit, EndOfPartition, Persist, SetTimer,
                                 Store, Trigger, Unblock, make_handler)
from ..trace import Trace
from .input_gate import InputGate, interpret

__all__ = ["run_gate", "GateBuffer", "GateDriver"]


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


class ScriptedChannel:
    """One input channel of the gate: arrived items, oldest first, as ``[arrival, item]``."""

    __slots__ = ("gate_index", "queue")

    def __init__(self, gate_index: int) -> None:
        self.gate_index = gate_index
        self.queue: deque = deque()

    def take(self, pos: int = 0):
        """Do one thing at ``now``: a due timer, else one item the gate gives; False if neither."""
        entry = self.queue[pos]
        del self.queue[pos]
        return entry[1]


class GateDriver:
    """The thin driver: a scripted clock around the task's own :class:`InputGate` and :func:`interpret`."""

    def __init__(self, scenario: GateScenario, trace: Trace) -> None:
        self.scenario, self.trace = scenario, trace
        self.items = scenario.items()
        self.objs = _objects(scenario, self.items)
        self.index = {id(o): i for i, o in enumerate(self.objs)}
        handler = make_handler(scenario.handler, scenario.channels, alignment=scenario.alignment,
                               end_of_partition=scenario.end_of_partition,
                               max_buffered_bytes=scenario.max_buffered_bytes,
                               aligned_timeout=scenario.aligned_timeout, size_of=lambda o: o.size)
        self.gate = InputGate([ScriptedChannel(ch) for ch in range(scenario.channels)], handler)
        self.timers: list = []
        self.busy_until = 0.0
        self.now = 0.0
        self.described: list = []
        self.effects = {Emit: self._emit, Trigger: lambda a: self._note("trigger", a.id, a.unaligned),
                        Abort: lambda a: self._note("abort", a.id, a.reason),
                        Block: lambda a: self._note("block", a.channel), Unblock: lambda a: self._note("unblock", a.channel),
                        Persist: lambda a: self._note("persist", a.id, self.index[id(a.item)]),
                        Store: lambda a: self._note("store", a.id, self.index[id(a.item)]),
                        SetTimer: self._set_timer,
                        Aligned: lambda a: self._note("aligned", a.id, a.duration, a.processed_bytes)}

    # --- effects: describe each action for the trace -----------------------------------------------
    def _note(self, *description) -> None:
        self.described.append(list(description))

    def _emit(self, a: Emit) -> None:
        if type(a.item) is GateBuffer:           # processing a data buffer keeps the task busy
            self.busy_until = max(self.busy_until, self.now) + self.scenario.processing_time
        self._note("emit", self.index[id(a.item)], a.replay)

    def _set_timer(self, a: SetTimer) -> None:
        heapq.heappush(self.timers, (a.at, len(self.timers), a.id))
        self._note("timer", a.at, a.id)

    def apply(self, actions: list) -> list:
        """Apply actions through the shared interpreter; returns their descriptions for the trace."""
        self.described = []
        for _ in interpret(actions, self.effects):
            pass                                 # no effect here takes simulated time
        return self.described

    # --- the clock ---------------------------------------------------------------------------------
    def take(self) -> bool:
        """Do one thing at ``now``: a due timer, else one item the gate gives; False if neither."""
        now, gate = self.now, self.gate
        if self.timers and self.timers[0][0] <= now:
            _, _, cid = heapq.heappop(self.timers)
            self.trace.emit(now, "gate_timer", checkpoint=cid, actions=self.apply(gate.handler.on_timer(cid, now)))
            return True
        ch, item, overtaken = gate.poll(now)
        if ch is None:
            return False
        idx = self.index[id(item)]
        actions = gate.dispatch(ch, item, now, overtaken)
        self.trace.emit(now, "gate_item", index=idx, channel=ch.gate_index, item=self.items[idx].text,
                        priority=overtaken is not None,
                        actions=self.apply(actions))
        return True

    def run(self) -> None:
        """Play the arrivals and let the task work between them, writing gate_* events."""
        items, inf = self.items, float("inf")
        order = sorted(range(len(items)), key=lambda i: (items[i].at, i))
        pos = 0
        while True:
            arrival = items[order[pos]].at if pos < len(order) else inf
            free = max(self.now, self.busy_until)
            nxt = free if self.gate.has_input(free) else inf
            if self.timers:
                nxt = min(nxt, max(self.timers[0][0], free))
            if arrival == inf and nxt == inf:
                break
            if arrival <= nxt:
                self.now = arrival
                idx = order[pos]
                pos += 1
                self.gate.channels[items[idx].channel].queue.append([arrival, self.objs[idx]])
                self.trace.emit(arrival, "gate_arrive", index=idx, channel=items[idx].channel, item=items[idx].text)
                self._work()
                self.trace.emit(arrival, "gate_blocked", index=idx, blocked=sorted(self.gate.handler.blocked))
            else:
                self.now = nxt
                self._work()

    def _work(self) -> None:
        while self.busy_until <= self.now and self.take():
            pass


def run_gate(scenario: GateScenario, trace: Trace) -> None:
    """Drive the scenario's handler through its sequence, writing gate_* events to ``trace``."""
    GateDriver(scenario, trace).run()
