"""The fault plan: crashes at times, on the n-th record, with a probability per record;
snapshot failures for a given checkpoint; stalls.

Record counts are kept across attempts ("the 3rd record split processes, whatever the attempt"),
so a crash on record n fires once. A crash drops everything in flight: the job fails over.
"""
from __future__ import annotations

from ..scenario.common import TASK_REF

__all__ = ["FaultPlan", "describe_fault"]


class FaultPlan:
    def __init__(self, job, faults, rng) -> None:
        self.job = job
        self.env = job.env
        self.rng = rng
        self.timed = [f for f in faults if hasattr(f, "at")]
        self.record = [f for f in faults if hasattr(f, "on_record") or hasattr(f, "probability")]
        self.declines = {}
        for f in faults:
            if hasattr(f, "decline"):
                self.declines.setdefault(f.task, {})[f.decline] = f.phase
        self.counts: dict[str, int] = {}
        self.fired: set[int] = set()
        self.pending_timed = len(self.timed)

    def start(self) -> None:
        for f in self.timed:
            self.env.timeout(f.at).callbacks.append(lambda _e, f=f: self._fire(f))

    def _targets(self, ref: str) -> list:
        m = TASK_REF.match(ref)
        name, index = m.group("name"), m.group("index")
        tasks = self.job.attempt.tasks if self.job.attempt else []
        if index is not None:
            return [t for t in tasks if t.name == ref]
        return [t for t in tasks if t.spec.operator == name][:1]

    def _fire(self, f) -> None:
        self.pending_timed -= 1
        now, trace = self.env.now, self.job.trace
        if not self.job.running():
            trace.emit(now, "fault_injected", None, fault=describe_fault(f), detail="no effect: the job is not running")
            self.job.check_drained()
            return
        targets = self._targets(f.crash if hasattr(f, "crash") else f.stall)
        trace.emit(now, "fault_injected", targets[0].name, fault=describe_fault(f), detail="")
        if hasattr(f, "crash"):
            targets[0].dead = True
            self.job.attempt.fail(targets[0], f"crashed at {now:g} ms (fault plan)")
        else:
            targets[0].post(("stall", f.for_))
        self.job.check_drained()

    def install(self, attempt) -> None:
        """Give each task with a per-record fault its checks (one per fault target)."""
        for task in attempt.tasks:
            targets: dict[str, list] = {}
            for f in self.record:
                if self._matches(f.task, task):
                    targets.setdefault(f.task, []).append(f)
            if targets:
                groups = list(targets.values())
                task.fault = lambda t, records, groups=groups: self._check_all(t, records, groups)

    def _check_all(self, task, records: list, groups) -> list:
        for faults in groups:
            records = self._check(task, records, faults)
        return records

    @staticmethod
    def _matches(ref: str, task) -> bool:
        m = TASK_REF.match(ref)
        return task.name == ref if m.group("index") is not None else task.spec.operator == m.group("name")

    def _check(self, task, records: list, faults) -> list:
        """The records processed before a crash (and arm the crash), or all of them.

        Records are counted per fault target: ``split`` counts every record of every split
        subtask, ``split[1]`` only that subtask's, over all attempts.
        """
        key = faults[0].task
        base = self.counts.get(key, 0)
        cut = None
        for f in faults:
            if hasattr(f, "on_record"):
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
        if hasattr(f, "on_record"):
            self.fired.add(id(f))
        self.counts[key] = base + k + 1
        self.job.trace.emit(self.env.now, "fault_injected", task.name, fault=describe_fault(f), detail=reason)
        task.crash_now = reason
        return records[:k]

    def decline_phase(self, task_name: str, cid: int):
        for ref, by_id in self.declines.items():
            m = TASK_REF.match(ref)
            if (ref == task_name or (m.group("index") is None and task_name.startswith(m.group("name") + "["))) \
                    and cid in by_id:
                return by_id[cid]
        return None


def describe_fault(f) -> str:
    """A fault of the plan in a few words ("crash split on record 3")."""
    if hasattr(f, "crash"):
        return f"crash {f.crash} at {f.at:g}"
    if hasattr(f, "stall"):
        return f"stall {f.stall} at {f.at:g} for {f.for_:g}"
    if hasattr(f, "on_record"):
        return f"crash {f.task} on record {f.on_record}"
    if hasattr(f, "probability"):
        return f"crash {f.task} with probability {f.probability:g} per record"
    return f"decline {f.task} checkpoint {f.decline}"
