"""The operator chain of one task (Flink's ``OperatorChain``).

Operators joined by a chainable edge (forward, equal parallelism, chaining not disabled:
docs/architecture.md) run in one task: records go from one to the next by a method call, with no channel,
no buffer and no barrier in between. The chain is one snapshot (every operator's state, keyed by
operator name), one ``notify_checkpoint_complete`` and one crash unit.

Each operator costs its own ``processing_time`` per record it receives, so a chain of three takes
as long as the three did as separate tasks, minus the network hops. The task runs the chain
(:meth:`sim.runtime.task.StreamTask.process_buffer`): pure operators are called at once and the
time they take is waited for in one step, before an operator with effects outside the task
(``external``: the sink writes to Kafka at the current time), before a fault check, and at the end;
nothing can observe the task in between, since it is busy.

Two pure neighbours may be *fused* (:meth:`~sim.runtime.operators.Operator.fuse`: keyed_sum then
format_count, with bare records): the first step does both operators' work in one pass and the
second passes the buffer on; each still adds its own processing time, in the same order. A fault
check put before the second operator splits them again.
"""
from __future__ import annotations

__all__ = ["OperatorChain", "show"]


class OperatorChain:
    """Operators in chain order, with their per-record processing times and fault checks."""

    __slots__ = ("names", "operators", "steps", "checked", "fused")

    def __init__(self, names: list[str], operators: list, ptimes: list[float]) -> None:
        self.names = names
        self.operators = operators
        #: ``(operator's process, processing time per record, fault check or None, external)`` in
        #: chain order (flat tuples: the task's hot loop unpacks them once per buffer)
        self.steps = [(op.process, ptime, None, op.external) for op, ptime in zip(operators, ptimes)]
        self.checked = False              # some step has a fault check
        self.fused: dict[int, tuple] = {}   # first step of a fused pair -> the pair's own steps
        self._fuse()

    def _fuse(self) -> None:
        """Fuse each pair of pure neighbours whose first operator can do both (``Operator.fuse``)."""
        steps, k = self.steps, 0
        while k + 1 < len(steps):
            first, second = self.operators[k], self.operators[k + 1]
            both = None if first.external or second.external else first.fuse(second)
            if both is None:
                k += 1
                continue
            self.fused[k] = (steps[k], steps[k + 1])
            # NOTE: the second step keeps its processing time: ``due`` grows by the same amounts
            steps[k], steps[k + 1] = (both, steps[k][1], None, False), (_passed, steps[k + 1][1], None, False)
            k += 2

    def advance(self, records: list, k: int, due: float) -> tuple[list, float, int]:
        """Run the pure operators from step ``k`` on; ``(records, due, k)`` after them.

        ``due`` grows by the processing time they take. It stops at the first step that needs the
        clock first -- a fault check or an external operator: ``k`` is its index -- or at the end
        (``k`` is the number of steps, also when an operator produced nothing).
        """
        steps = self.steps
        n = len(steps)
        while k < n:
            process, ptime, check, external = steps[k]
            if check is not None or external:
                return records, due, k
            due += ptime * len(records)
            records = process(records)
            k += 1
            if not records:
                return records, due, n
        return records, due, n

    def pure_prefix(self) -> tuple[list, int]:
        """The pure steps ahead of the first external operator as ``(process, processing time,
        time after)`` triples, and that operator's index (the number of steps if none): a chain
        without fault checks, run by the task's hot loop (:meth:`StreamTask.run`).

        Each triple adds ``processing time x records`` to ``due``, processes, stops if nothing is
        left, then adds ``time after x records``. NOTE: the second step of a fused pair is folded
        into the first's ``time after`` (no call to pass the buffer on): ``due`` grows by the same
        amounts in the same order; elsewhere ``time after`` is 0.0, and adding 0.0 to a ``due``
        that is never negative leaves it as it was.
        """
        steps = self.steps
        first = next((k for k, s in enumerate(steps) if s[3]), len(steps))
        out, k = [], 0
        while k < first:
            if k in self.fused and k + 1 < first:
                out.append((steps[k][0], steps[k][1], steps[k + 1][1]))
                k += 2
            else:
                out.append((steps[k][0], steps[k][1], 0.0))
                k += 1
        return out, first

    def set_check(self, position: int, check) -> None:
        """Put ``check(task, records) -> records`` (the fault plan's; it may cut) before an operator."""
        if position - 1 in self.fused:          # between two fused operators: call them one by one again
            plain = self.fused.pop(position - 1)
            self.steps[position - 1] = (plain[0][0], plain[0][1], self.steps[position - 1][2], plain[0][3])
            self.steps[position] = plain[1]
        process, ptime, _, external = self.steps[position]
        self.steps[position] = (process, ptime, check, external)
        self.checked = True

    def __repr__(self) -> str:
        return f"OperatorChain({'->'.join(self.names)})"

    @property
    def head(self):
        """The first operator: a source reader, or the one fed by the input gate."""
        return self.operators[0]

    # --- state ---------------------------------------------------------------------------------
    def snapshot(self, checkpoint: int) -> dict:
        """One snapshot for the whole task: ``{operator name: state}``."""
        return {name: op.snapshot(checkpoint) for name, op in zip(self.names, self.operators)}

    def state_entries(self) -> int:
        """Entries of every operator's state (they set the snapshot's duration and size)."""
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


def _passed(records: list) -> list:
    """The second step of a fused pair: the first did its work already."""
    return records


def show(payload):
    """A JSON-friendly form of a record payload for the trace (tuples become lists)."""
    if type(payload) is tuple:
        return list(payload)
    return payload
