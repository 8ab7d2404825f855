"""The ``chandy_lamport`` scenario as SimPy processes: token messages and markers on FIFO links.

Each message takes a delay drawn from the run's RNG within ``delay`` (whole ticks by default);
a link stays FIFO: a message never arrives before one sent earlier on the same link. Scenario
events (``send``, ``snapshot``) at time ``t`` happen in file order after the deliveries due at
``t``, like a tick of the classic exercises. The run goes on until every snapshot is complete.
"""
from __future__ import annotations

import random

import simpy

from ..scenario.chandy_lamport import SendEvent
from ..snapshot.chandy_lamport import ChannelRecorded, Done, NotEnoughTokens, Process, Recorded, SendMarkers
from .scheduling import call_after_instant, run_counted

__all__ = ["run_chandy_lamport"]


class _Network:
    """The processes and FIFO links of a chandy_lamport scenario, with their delays."""
    def __init__(self, env, scenario, trace, rng) -> None:
        self.env, self.scenario, self.trace, self.rng = env, scenario, trace, rng
        self.low, self.high, self.integer = scenario.delay_range()
        incoming = {n: [a for a, b in scenario.links if b == n] for n in scenario.nodes}
        outgoing = {n: [b for a, b in scenario.links if a == n] for n in scenario.nodes}
        self.procs = {n: Process(n, t, incoming[n], outgoing[n]) for n, t in scenario.nodes.items()}
        self.last_arrival: dict[tuple[str, str], float] = {}
        self.pending: dict[int, set[str]] = {}       # snapshot -> processes not done
        self.next_sid = 0
        self.messages = 0

    def _delay(self) -> float:
        if self.integer:
            return float(self.rng.randint(int(self.low), int(self.high)))
        return self.rng.uniform(self.low, self.high)

    def _transmit(self, src: str, dst: str, deliver) -> float:
        now = self.env.now
        arrival = max(now + self._delay(), self.last_arrival.get((src, dst), now))
        self.last_arrival[(src, dst)] = arrival
        self.env.timeout(arrival - now).callbacks.append(lambda _e: deliver())
        self.messages += 1
        return arrival

    # --- scenario events -------------------------------------------------------------------
    def send(self, index: int, src: str, dst: str, tokens: int) -> None:
        """Process ``src`` sends ``tokens`` to ``dst`` (scenario event ``index``)."""
        try:
            self.procs[src].send(dst, tokens)
        except NotEnoughTokens as exc:
            raise self.scenario.error(f"at {self.env.now:g}: {exc}", "events", index, "send") from None
        arrival = self._transmit(src, dst, lambda: self._receive(src, dst, tokens))
        self.trace.emit(self.env.now, "cl_send", src, src=src, dst=dst, tokens=tokens, arrive=arrival)

    def snapshot(self, node: str) -> None:
        """Process ``node`` starts a new snapshot."""
        sid = self.next_sid
        self.next_sid += 1
        self.pending[sid] = set(self.procs)
        self.trace.emit(self.env.now, "cl_snapshot_start", node, snapshot=sid, initiator=node)
        self._apply(node, self.procs[node].start(sid))

    # --- deliveries ------------------------------------------------------------------------
    def _receive(self, src: str, dst: str, tokens: int) -> None:
        self.trace.emit(self.env.now, "cl_receive", dst, src=src, dst=dst, tokens=tokens)
        self.procs[dst].receive(src, tokens)

    def _marker(self, src: str, dst: str, sid: int) -> None:
        self.trace.emit(self.env.now, "cl_marker_receive", dst, src=src, dst=dst, snapshot=sid)
        self._apply(dst, self.procs[dst].on_marker(src, sid))

    def _apply(self, node: str, actions) -> None:
        now = self.env.now
        for a in actions:
            if isinstance(a, Recorded):
                self.trace.emit(now, "cl_record", node, node=node, snapshot=a.sid, tokens=a.tokens)
            elif isinstance(a, ChannelRecorded):
                self.trace.emit(now, "cl_channel_recorded", node, src=a.src, dst=node, snapshot=a.sid,
                                messages=list(a.messages))
            elif isinstance(a, SendMarkers):
                for dst in a.to:
                    arrival = self._transmit(node, dst, lambda d=dst, s=a.sid: self._marker(node, d, s))
                    self.trace.emit(now, "cl_marker_send", node, src=node, dst=dst, snapshot=a.sid, arrive=arrival)
            elif isinstance(a, Done):
                waiting = self.pending[a.sid]
                waiting.discard(node)
                if not waiting:
                    self.trace.emit(now, "cl_done", None, snapshot=a.sid)


def run_chandy_lamport(scenario, trace) -> dict:
    """Run the scenario; returns run statistics (the snapshots are in the trace)."""
    env = simpy.Environment()
    net = _Network(env, scenario, trace, random.Random(scenario.seed))
    _script(env, net, sorted(enumerate(scenario.events), key=lambda item: item[1].at))   # stable: file order
    events = run_counted(env)
    return {"sim_time_ms": env.now, "events": events, "record_hops": net.messages}


def _script(env, net, order: list, k: int = 0) -> None:
    """Run the scenario's events in order, each after every delivery due at its instant.

    One at a time: each event schedules the next once it has run (callbacks, not a process, so
    that a ScenarioError reaches the caller as raised, with its line).
    """
    if k >= len(order):
        return
    index, ev = order[k]

    def fire() -> None:
        if type(ev) is SendEvent:
            src, dst, tokens = ev.send
            net.send(index, src, dst, tokens)
        else:
            net.snapshot(ev.snapshot)
        _script(env, net, order, k + 1)

    call_after_instant(env, ev.at - env.now, fire)
