"""The operator chain of one task (Flink's ``OperatorChain``).

Operators joined by a chainable edge (forward, equal parallelism, chaining not disabled:
SEMANTICS 12) run in one task: records go from one to the next by a method call, with no channel,
no buffer and no barrier in between. The chain is one snapshot (every operator's state, keyed by
operator name), one ``notify_checkpoint_complete`` and one crash unit.

Each operator costs its own ``processing_time`` per record it receives, so a chain of three takes
as long as the three did as separate tasks, minus the network hops.
"""
from __future__ import annotations

__all__ = ["OperatorChain", "show"]


class OperatorChain:
    """Operators in chain order, with their per-record processing times and fault checks."""

    __slots__ = ("names", "operators", "ptimes", "checks")

    def __init__(self, names: list[str], operators: list, ptimes: list[float]) -> None:
        self.names = names
        self.operators = operators
        self.ptimes = ptimes
        #: per operator: None, or ``check(task, records) -> records`` from the fault plan (may cut)
        self.checks: list = [None] * len(operators)

    def __repr__(self) -> str:
        return f"OperatorChain({'->'.join(self.names)})"

    @property
    def head(self):
        """The first operator: a source reader, or the one fed by the input gate."""
        return self.operators[0]

    def process(self, task, records: list):
        """Pass ``records`` through every operator (a generator: processing takes time).

        Returns ``(taken, out)``: the records the head operator took and what the last operator
        emitted. A fault check may cut the buffer before its operator and arm the task's crash;
        the records before the cut still go through.
        """
        env, checks, taken = task.env, self.checks, None
        for i, op in enumerate(self.operators):
            if checks[i] is not None:
                records = checks[i](task, records)
            if taken is None:
                taken = records
            dt = self.ptimes[i] * len(records)
            if dt:
                yield env.timeout(dt)
            records = op.process(records)
            if not records:
                break
        return taken, records

    # --- state ---------------------------------------------------------------------------------
    def snapshot(self, checkpoint: int) -> dict:
        """One snapshot for the whole task: ``{operator name: state}``."""
        return {name: op.snapshot(checkpoint) for name, op in zip(self.names, self.operators)}

    def state_entries(self) -> int:
        return sum(op.state_entries() for op in self.operators)

    def describe_state(self):
        """``{operator: state}`` of the operators that have state to show (None: none has)."""
        shown = {name: d for name, op in zip(self.names, self.operators) if (d := op.describe_state()) is not None}
        return shown or None

    def notify_complete(self, checkpoint: int) -> dict:
        """``notify_checkpoint_complete`` to every operator, head first; ``{operator: what it did}``."""
        done = {}
        for name, op in zip(self.names, self.operators):
            result = op.notify_complete(checkpoint)
            if result is not None:
                done[name] = result
        return done


def show(payload):
    """A JSON-friendly form of a record payload for the trace (tuples become lists)."""
    if type(payload) is tuple:
        return list(payload)
    return payload
