"""The fault plan: crashes at times, on the n-th record, with a probability per record;
snapshot failures for a given checkpoint; stalls.

Fault kinds are the scenario's typed models (:mod:`sim.scenario.job`) and are told apart by type.
Every task reference goes through :func:`sim.dataflow.refs.resolve`: a fault naming any operator
of a chain hits the chained task (one crash unit). Record counts are kept across attempts ("the
3rd record split processes, whatever the attempt"), so a crash on record n fires once; a record
fault checks the records entering its operator, inside the chain. A crash drops everything in
flight: the job fails over.
"""
from __future__ import annotations

from ..dataflow.refs import TaskRef, resolve
from ..scenario.job import CrashAt, CrashOnRecord, CrashProbability, Decline, Stall
from .mail import Stall as StallMail

__all__ = ["FaultPlan", "describe_fault"]


class FaultPlan:
    """Injects the scenario's faults into the job's current attempt."""

    def __init__(self, job, faults, rng) -> None:
        self.job = job
        self.env = job.env
        self.rng = rng
        self.timed = [f for f in faults if type(f) in (CrashAt, Stall)]
        self.record = [f for f in faults if type(f) in (CrashOnRecord, CrashProbability)]
        self.declines = [(TaskRef.parse(f.task), f.decline, f.phase) for f in faults if type(f) is Decline]
        self.counts: dict[str, int] = {}
        self.fired: set[int] = set()
        self.pending_timed = len(self.timed)

    def start(self) -> None:
        """Schedule the timed faults (crashes and stalls at a time)."""
        for f in self.timed:
            self.env.timeout(f.at).callbacks.append(lambda _e, f=f: self._fire(f))

    def _fire(self, f) -> None:
        self.pending_timed -= 1
        now, trace = self.env.now, self.job.trace
        attempt = self.job.attempt
        task, why = None, "no effect: the task is not running"
        if attempt is not None and not attempt.failing:
            name = f.crash if type(f) is CrashAt else f.stall
            specs = [t.spec for t in attempt.tasks]
            targets = resolve(TaskRef.parse(name), specs)    # an operator without index: its first subtask
            # NOTE: a submit may have lowered the parallelism since the scenario was loaded (sink[1] at parallelism
            # 1): that subtask does not exist when the fault fires, so the fault has no effect, said in the trace
            if targets:
                task = next(t for t in attempt.tasks if t.spec is targets[0])
            else:
                width = len(resolve(TaskRef(TaskRef.parse(name).operator), specs))
                why = f"no effect: the running job has no task {name} (parallelism {width})"
        if task is None or task.dead:          # the job, or the task's region, is restarting
            trace.emit(now, "fault_injected", None, fault=describe_fault(f), detail=why)
            self.job.check_drained()
            return
        trace.emit(now, "fault_injected", task.name, fault=describe_fault(f), detail="")
        if type(f) is CrashAt:
            task.fail(f"crashed at {now:g} ms (fault plan)")
        else:
            task.post(StallMail(f.for_))
        self.job.check_drained()

    def install(self, tasks) -> None:
        """Put each per-record fault in front of its operator, in the chains of the ``tasks`` it names."""
        for task in tasks:
            groups: dict[tuple[str, int], list] = {}     # (reference, position in chain) -> faults
            for f in self.record:
                ref = TaskRef.parse(f.task)
                if resolve(ref, [task.spec]):
                    groups.setdefault((f.task, task.spec.operators.index(ref.operator)), []).append(f)
            for pos in {p for _, p in groups}:
                here = [faults for (_, p), faults in groups.items() if p == pos]
                task.chain.set_check(pos, lambda t, records, here=here: self._check_all(t, records, here))

    def _check_all(self, task, records: list, groups) -> list:
        for faults in groups:
            records = self._check(task, records, faults)
        return records

    def _check(self, task, records: list, faults) -> list:
        """The records processed before a crash (and arm the crash), or all of them.

        Records are counted per fault target: ``split`` counts every record of every split
        subtask, ``split[1]`` only that subtask's, over all attempts.
        """
        key = faults[0].task
        base = self.counts.get(key, 0)
        cut = None
        for f in faults:
            if type(f) is CrashOnRecord:
                if id(f) not in self.fired and base < f.on_record <= base + len(records):
                    k = f.on_record - base - 1
                    if cut is None or k < cut[0]:
                        cut = (k, f"exception while processing record {f.on_record} (fault plan)", f)
            else:
                for k in range(len(records)):
                    if self.rng.random() < f.probability:
                        if cut is None or k < cut[0]:
                            cut = (k, f"random exception while processing record {base + k + 1} "
                                      f"(probability {f.probability:g})", f)
                        break
        if cut is None:
            self.counts[key] = base + len(records)
            return records
        k, reason, f = cut
        if type(f) is CrashOnRecord:
            self.fired.add(id(f))
        self.counts[key] = base + k + 1
        self.job.trace.emit(self.env.now, "fault_injected", task.name, fault=describe_fault(f), detail=reason)
        task.crash_now = reason
        return records[:k]

    def decline_phase(self, task, cid: int):
        """How ``task``'s snapshot of ``cid`` fails: None, ``decline``, ``sync`` or ``async``."""
        for ref, decline, phase in self.declines:
            if decline == cid and resolve(ref, [task.spec]):
                return phase
        return None


def describe_fault(f) -> str:
    """A fault of the plan in a few words ("crash split on record 3")."""
    kind = type(f)
    if kind is CrashAt:
        return f"crash {f.crash} at {f.at:g}"
    if kind is Stall:
        return f"stall {f.stall} at {f.at:g} for {f.for_:g}"
    if kind is CrashOnRecord:
        return f"crash {f.task} on record {f.on_record}"
    if kind is CrashProbability:
        return f"crash {f.task} with probability {f.probability:g} per record"
    return f"decline {f.task} checkpoint {f.decline}"
