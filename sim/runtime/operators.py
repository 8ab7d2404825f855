"""Operators: what a subtask does with a buffer of records, and what its state is.

Records are ``(payload, origin)`` pairs. ``origin`` is the provenance of the input record a
result came from, ``(topic, partition, offset, time it was written)``; it travels unchanged through flat_map, map and
keyed_sum, and the sink adds the attempt and the transaction when it writes to Kafka.

Every operator processes a whole buffer at once (``process(records) -> records``) so that one
simulated event carries many records; ``snapshot()`` returns a copy of the state and
``restore(state)`` puts one back.
"""
from __future__ import annotations

__all__ = ["FlatMap", "Map", "KeyedSum", "make_operator"]


class Operator:
    """Stateless by default."""

    stateful = False
    #: True if ``process`` has effects outside the task (writes to Kafka): it must run at its time
    external = False

    def process(self, records: list) -> list:
        return records

    def snapshot(self, checkpoint: int):
        return None

    def restore(self, state) -> None:
        pass

    def state_entries(self) -> int:
        return 0

    def describe_state(self):
        return None

    def notify_complete(self, checkpoint: int) -> None:
        pass


class _Function(Operator):
    """An operator around a user function; a batch form, when the function has one, replaces ``process``."""

    def __init__(self, fn, batch=None) -> None:
        self.fn = fn
        if batch is not None:
            self.process = batch


class FlatMap(_Function):
    def process(self, records: list) -> list:
        fn = self.fn
        return [(out, origin) for payload, origin in records for out in fn(payload)]


class Map(_Function):
    def process(self, records: list) -> list:
        fn = self.fn
        return [(fn(payload), origin) for payload, origin in records]


class KeyedSum(Operator):
    """``keyBy(0).sum(1)``: keyed state ``{key: running sum}``; emits the new sum per record."""

    stateful = True

    def __init__(self) -> None:
        self.state: dict = {}

    def process(self, records: list) -> list:
        state = self.state
        get = state.get
        out = []
        append = out.append
        for pair, origin in records:
            key = pair[0]
            total = get(key, 0) + pair[1]
            state[key] = total
            append(((key, total), origin))
        return out

    def snapshot(self, checkpoint: int):
        return dict(self.state)

    def restore(self, state) -> None:
        self.state = dict(state or {})

    def state_entries(self) -> int:
        return len(self.state)

    def describe_state(self):
        return dict(sorted(self.state.items()))


def make_operator(op, functions) -> Operator:
    """The runtime operator for a scenario operator (sources and sinks are built by their tasks)."""
    if op.type in ("flat_map", "map"):
        f = functions.get(op.function)
        return (FlatMap if op.type == "flat_map" else Map)(f.fn, f.batch)
    if op.type == "keyed_sum":
        return KeyedSum()
    raise ValueError(f"{op.type} is not a plain operator")
