"""A network channel between two subtasks: FIFO, latency, credits, a priority lane.

A channel carries *buffers* (lists of records) and events (barriers, cancellation markers, end of
partition). Each item gets an arrival time ``max(now + latency, last arrival)`` (FIFO) and waits
in the queue until the receiver takes it. Only data buffers take credits: ``capacity`` buffers
may be in the channel (in flight plus queued at the receiver); a sender that finds the channel
full waits for a credit, and that is backpressure. Events never wait for credits, so a barrier
can always be sent; an unaligned barrier may even be taken out of the middle of the queue
(it overtakes the data ahead of it).

The receiver is woken by :meth:`Task.notify`; senders never sleep for the network.
"""
from __future__ import annotations

from collections import deque

from .scheduling import own_event
from .task import BUSY

__all__ = ["Channel"]


class Channel:
    """One FIFO channel ``src -> dst`` of the physical plan."""

    __slots__ = ("spec", "name", "index", "gate_index", "latency", "capacity", "queue", "n_data",
                 "last_arrival", "receiver", "sender", "credit_waiter", "env")

    def __init__(self, env, spec, latency: float, capacity: int) -> None:
        self.env = env
        self.spec = spec
        self.name = spec.name
        self.index = spec.index
        self.gate_index = spec.gate_index
        self.latency = latency
        self.capacity = capacity
        self.queue: deque = deque()       # [arrival time, item]
        self.n_data = 0                   # data buffers in the channel (credits in use)
        self.last_arrival = 0.0
        self.receiver = None
        self.sender = None                # the task writing into it (it waits on credit_waiter)
        self.credit_waiter = None

    def __repr__(self) -> str:
        return f"Channel({self.name}, {len(self.queue)} queued)"

    def wait_credit(self):
        """An event that fires when the receiver frees a credit."""
        if self.credit_waiter is None:
            self.credit_waiter = own_event(self.env)     # the sender's process: only it waits on it
        return self.credit_waiter

    def push(self, item, data: bool, priority: bool = False) -> float:
        """Put ``item`` on the wire now; returns its arrival time."""
        # NOTE: ``env._now`` is ``env.now`` without the property's Python call (SimPy's
        # Environment.now returns ``self._now``; tests/test_channel.py pins it): read once or more
        # per buffer on the data path (here, the task loop's poll, the sink's write), it is ~4 % of
        # a run at buffer_size 1. Elsewhere the code reads ``env.now``.
        arrival = self.env._now + self.latency
        if priority:
            # NOTE: a priority event does not wait behind queued data, but channels stay FIFO
            # for data: later data may not arrive before it.
            if arrival > self.last_arrival:
                self.last_arrival = arrival
        elif arrival < self.last_arrival:
            arrival = self.last_arrival
        else:
            self.last_arrival = arrival
        self.queue.append([arrival, item])
        if data:
            self.n_data += 1
        receiver = self.receiver
        if receiver.state < BUSY:        # NOTE: StreamTask.notify does nothing to a busy or blocked task
            receiver.notify(arrival)
        return arrival

    def take(self, pos: int = 0):
        """Remove the item at ``pos`` (0: the head) and free its credit if it is data."""
        if pos == 0:
            entry = self.queue.popleft()
        else:
            entry = self.queue[pos]
            del self.queue[pos]
        if type(entry[1]) is list:
            self.n_data -= 1
            if self.credit_waiter is not None:
                self.grant()
        return entry[1]

    def grant(self) -> None:
        """A data buffer was taken and the sender waits for a credit: it gets it."""
        waiter, self.credit_waiter = self.credit_waiter, None
        receiver = self.receiver
        # NOTE: a grant without a SimPy event when nothing can tell the difference (see
        # StreamTask.send_on_credit); otherwise the waiting sender resumes at this instant
        if not (receiver.direct_credit and receiver.handler.fast and self.sender.send_on_credit(waiter)):
            waiter.succeed()

    def restore(self, buffers) -> None:
        """Put persisted in-flight buffers back (unaligned recovery), ahead of any new data."""
        for buf in buffers:
            self.queue.append([self.env.now, buf])
            self.n_data += 1
