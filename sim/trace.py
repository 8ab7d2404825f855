"""Trace events: the single source of truth of a run.

The runtime writes one :class:`TraceEvent` per thing that happened; the verdict, the metrics,
the diagrams and the notebooks read nothing else. A trace is kept in memory and can be written
to and read back from JSON Lines, so a saved run can be re-analysed without re-running it.

Every event has a time ``t`` (simulated milliseconds), a ``kind`` and, where it concerns one
subtask, a ``task`` (``"split[1]"``). The remaining fields depend on the kind and are listed in
:data:`KINDS`, the one table that documents the schema.

Trace levels keep big runs cheap: ``full`` keeps every record hop, ``control`` keeps everything
but record hops, ``summary`` keeps only counters (plus the final ``summary`` event, what the
checker needs: consumer output and job-level events, and the barriers and checkpoints, so that a
picture of any run shows its snapshots).
"""
from __future__ import annotations

import heapq
from array import array
from keyword import iskeyword
from collections import Counter
from typing import IO, Iterable, Iterator

__all__ = ["KINDS", "LEVELS", "TraceEvent", "Trace", "TraceFormatError"]

#: Trace levels, from the most to the least detailed.
LEVELS = {"full": 2, "control": 1, "summary": 0}

FULL, CONTROL, SUMMARY = 2, 1, 0

#: kind -> (lowest level that keeps it, fields besides t/kind/task, meaning)
KINDS: dict[str, tuple[int, str, str]] = {
    # --- records (full only) ---
    "record_send": (FULL, "to, channel, n, values, arrive", "a task put a buffer of n records on a channel"),
    "record_receive": (FULL, "channel, n", "the task took a buffer of n records from its input gate"),
    "record_process": (FULL, "n, values, replay", "the operator processed a buffer of n records"),
    "kafka_append": (CONTROL, "topic, partition, offset, value, txn, origin", "a sink (or, without task, a transactional input producer) wrote a record"),
    "source_read": (FULL, "n, origins", "a source read n records ([topic, partition, offset, time] each)"),
    # --- barriers and alignment ---
    "barrier_inject": (CONTROL, "checkpoint, offsets", "a source recorded its offsets and injected a barrier"),
    "barrier_send": (SUMMARY, "checkpoint, to, channel, unaligned, arrive, overtook",
                     "a barrier was put on a channel (kept at every level: O(checkpoints x channels)); overtook "
                     "(only then): aligned_timeout passed while it waited in the sender's output queue (Flink >= "
                     "1.16), so it went out unaligned ahead of that many queued records"),
    "barrier_receive": (CONTROL, "checkpoint, channel, unaligned", "the handler saw a barrier"),
    "cancel_marker": (CONTROL, "checkpoint, channel", "a cancellation marker reached the handler"),
    "alignment_start": (CONTROL, "checkpoint, channel", "the first barrier of a checkpoint arrived"),
    "alignment_end": (CONTROL, "checkpoint, duration, processed_bytes, inputs", "all barriers arrived"),
    "channel_block": (CONTROL, "channel, checkpoint", "the handler blocked an input channel"),
    "channel_unblock": (CONTROL, "channel", "the handler released an input channel"),
    "record_buffered": (CONTROL, "channel, n, checkpoint", "alignment: buffer stored a blocked channel's item"),
    "buffer_persisted": (CONTROL, "checkpoint, channel, n, values", "unaligned: a buffer recorded as channel state"),
    "output_persisted": (CONTROL, "checkpoint, channel, n, values",
                         "an output buffer an unaligned barrier overtook at its sender (an unaligned trigger, or "
                         "aligned_timeout in the output queue, Flink >= 1.16), recorded as channel state there "
                         "(it is still sent after the barrier)"),
    "end_of_partition": (CONTROL, "channel", "an input channel ended"),
    # --- snapshots and checkpoints ---
    "snapshot_sync_start": (CONTROL, "checkpoint, state", "synchronous phase began (state copied)"),
    "snapshot_sync_end": (CONTROL, "checkpoint, duration", "synchronous phase ended"),
    "snapshot_async_end": (CONTROL, "checkpoint, duration, size", "asynchronous upload finished"),
    "checkpoint_schedule": (SUMMARY, "delay, period",
                            "periodic triggering (re)started: the first trigger comes after delay, then every period"),
    "checkpoint_trigger": (SUMMARY, "checkpoint, savepoint", "the coordinator triggered a checkpoint"),
    "checkpoint_ack": (CONTROL, "checkpoint, size", "a task acknowledged a checkpoint"),
    "checkpoint_decline": (SUMMARY, "checkpoint, reason", "a task declined a checkpoint"),
    "checkpoint_abort": (SUMMARY, "checkpoint, reason", "a checkpoint was aborted (at a task or globally)"),
    "checkpoint_complete": (SUMMARY, "checkpoint, stats", "all tasks acknowledged: the checkpoint completed"),
    "checkpoint_notify": (CONTROL, "checkpoint", "notify_checkpoint_complete reached a task"),
    # --- faults and recovery ---
    "fault_injected": (SUMMARY, "fault, detail", "the fault plan fired"),
    "task_crash": (SUMMARY, "reason, attempt", "a task failed"),
    "job_failing": (SUMMARY, "attempt, reason, dropped_in_flight, restarted",
                    "the failed tasks (restarted: the region, or every task) cancelled; their in-flight data dropped"),
    "job_restart": (SUMMARY, "attempt, checkpoint, delay, tasks",
                    "a new attempt started (tasks: the restarted region; absent: every task)"),
    "lifecycle": (SUMMARY, "action, detail, savepoint",
                  "an operator of the cluster acted (lifecycle:): savepoint, stop-with-savepoint, cancel, submit"),
    "savepoint_complete": (SUMMARY, "savepoint, checkpoint", "a savepoint completed (the user owns it)"),
    "job_finished": (SUMMARY, "savepoint, open_transactions", "stop-with-savepoint: the job finished"),
    "job_cancelled": (SUMMARY, "retained_checkpoints, open_transactions",
                      "the job was cancelled: tasks stopped at once; which checkpoints retention keeps and which "
                      "transactions stay open on the broker"),
    "job_submit": (SUMMARY, "submission, source, checkpoint, parallelism, attempt, error",
                   "the job was submitted again (source: a savepoint, latest_checkpoint or none; error: why it "
                   "could not be)"),
    "job_failed": (SUMMARY, "reason", "the restart strategy gave up"),
    "state_restore": (CONTROL, "checkpoint, state", "a task restored state from a checkpoint"),
    "source_offset_reset": (SUMMARY, "topic, partition, offset, cause", "a source chose its start position"),
    "inflight_restore": (CONTROL, "checkpoint, channel, n", "unaligned: persisted buffers put back"),
    # --- Kafka transactions ---
    "txn_begin": (SUMMARY, "txn, transactional_id, epoch, implementation",
                  "a sink (FlinkKafkaProducer | KafkaSink) or an input producer (producer) opened a transaction"),
    "txn_precommit": (SUMMARY, "txn, checkpoint, records", "the sink flushed and pre-committed"),
    "txn_commit": (SUMMARY, "txn, checkpoint, records, cause", "the transaction committed"),
    "txn_abort": (SUMMARY, "txn, records, cause", "the transaction aborted"),
    "txn_timeout": (SUMMARY, "txn, age, timeout, records, checkpoint",
                    "the broker aborted a transaction older than its timeout"),
    "txn_warning": (CONTROL, "txn, age, timeout", "a transaction passed 0.8 x its timeout"),
    "producer_fenced": (SUMMARY, "transactional_id, epoch, txn, checkpoint, error, recovering",
                        "a commit failed: the producer was fenced or the broker had aborted the transaction"),
    "commit_discarded": (SUMMARY, "txn, checkpoint, records, error, recovering",
                         "KafkaSink's committer gave up a commit the broker refused with a known error "
                         "(ProducerFenced, InvalidTxnState, UnknownProducerId): no failover, the records are lost"),
    "txn_probe": (CONTROL, "prefix, subtask, first, unused, used",
                  "KafkaSink on start: ids prefix-subtask-first .. were initialised (aborting what they had open) "
                  "until id prefix-subtask-unused, never used before"),
    "offsets_committed": (CONTROL, "checkpoint, group, offsets", "source offsets committed to the group"),
    # --- readers and run ---
    "consumer_summary": (SUMMARY, "consumer, isolation, count, digest, final_counts",
                         "summary traces: what a reader read, as a count and an order-independent digest"),
    "consumer_read": (CONTROL, "consumer, isolation, topic, partition, offset, value, origin, txn",
                      "a reader got a record"),
    "run_start": (SUMMARY, "scenario, seed, level, consumers, tasks, topics, connectors",
                  "the run began (jobs: readers, tasks in plan order as {name, operators, subtask, parallelism}, "
                  "input and output topics, Kafka operators as {operator, type, topic, implementation, isolation})"),
    "run_end": (SUMMARY, "reason, restarts, attempts, failed, retained_checkpoints",
                "the run stopped (until reached, drained, job failed); which checkpoints outlive it"),
    "summary": (SUMMARY, "counters", "counters of every kind, written last"),
    "reference": (SUMMARY, "complete, reason, finish, order_dependent, records_read, topics",
                  "the ideal reference (sim.ideal), first event of its trace: could it finish in the run's "
                  "time (else why not), which keys' running sums depend on arrival order"),
    # --- other scenario kinds ---
    "gate_arrive": (SUMMARY, "index, channel, item", "gate: an item arrived in its channel"),
    "gate_item": (SUMMARY, "index, channel, item, priority, actions",
                  "gate: the handler took an item; actions are [name, ...] lists (emit, trigger, abort, "
                  "block, unblock, persist, store, timer, aligned)"),
    "gate_timer": (SUMMARY, "checkpoint, actions", "gate: the alternating handler's timer fired"),
    "gate_blocked": (SUMMARY, "index, blocked", "gate: blocked channels once item index had arrived"),
    "cl_snapshot_start": (SUMMARY, "snapshot, initiator", "chandy_lamport: a process started a snapshot"),
    "cl_send": (SUMMARY, "src, dst, tokens, arrive", "chandy_lamport: a token message sent"),
    "cl_receive": (SUMMARY, "src, dst, tokens", "chandy_lamport: a token message received"),
    "cl_marker_send": (SUMMARY, "src, dst, snapshot, arrive", "chandy_lamport: a marker sent"),
    "cl_marker_receive": (SUMMARY, "src, dst, snapshot", "chandy_lamport: a marker received"),
    "cl_record": (SUMMARY, "node, snapshot, tokens", "chandy_lamport: a process recorded its state"),
    "cl_channel_recorded": (SUMMARY, "src, dst, snapshot, messages", "chandy_lamport: a channel's state closed"),
    "cl_done": (SUMMARY, "snapshot", "chandy_lamport: a snapshot completed everywhere"),
}

class TraceEvent:
    """One event, read like the dict ``{"t", "kind", "task"?, **fields}`` it stands for.

    ``e["kind"]``, ``e.get("origin")``, ``"task" in e``, ``dict(e)``, iteration over the keys and
    ``==`` against a dict all behave as on that dict; :meth:`to_dict` gives the JSON-ready dict.
    Fields are also attributes (``e.value``): faster in loops over millions of events.
    A field may hold a tuple where the JSON line has a list (record provenance, shared by the
    write and the reads of one record); ``==`` compares as JSON does.
    NOTE: events are instances of one small ``__slots__`` class per (kind, fields) shape, made on
    first use: about 40 % of the memory of a dict, and the kind is a class attribute. Events made
    in bulk (:meth:`Trace.emit_many`) may hold fields that are the same in every row (the reader,
    the topic, the task) as class attributes too: a consumer_read event then keeps 5 slots, not 9.
    A trace of millions of events therefore stays compact, and the run pauses the cyclic garbage
    collector (engine.simulate) so that these objects cost no collection passes while they accumulate.
    """

    __slots__ = ()
    kind: str = ""
    _keys: tuple = ()
    _keyset: frozenset = frozenset()

    def __getitem__(self, key: str):
        if key in self._keyset:
            return getattr(self, key)
        raise KeyError(key)

    def get(self, key: str, default=None):
        """The field's value, or ``default`` when the event has no such field."""
        return getattr(self, key) if key in self._keyset else default

    def __contains__(self, key) -> bool:
        return key in self._keyset

    def keys(self) -> tuple:
        """The field names, in the order of the JSON object (``t``, ``kind``, ``task``?, fields)."""
        return self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def items(self) -> list:
        """``(name, value)`` pairs in the order of :meth:`keys`."""
        return [(k, getattr(self, k)) for k in self._keys]

    def to_dict(self) -> dict:
        """The event as a plain dict (what the JSON Lines line holds)."""
        return {k: getattr(self, k) for k in self._keys}

    def __eq__(self, other) -> bool:
        # JSON equality: an event read back from JSON Lines equals the one written (tuples held
        # in memory, such as the shared provenance tuples, come back as lists)
        if isinstance(other, TraceEvent):
            other = other.to_dict()
        if not isinstance(other, dict):
            return NotImplemented
        mine = self.to_dict()
        return mine.keys() == other.keys() and all(_plain(v) == _plain(other[k]) for k, v in mine.items())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.to_dict())

    def __reduce__(self):
        # the classes are made at run time: pickle (Dask, multiprocessing) rebuilds from the dict
        return event, (self.to_dict(),)


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


#: (kind, field names) -> event class. A memo of immutable classes: it changes no result.
_SHAPES: dict[tuple, type] = {}
_RESERVED = set(dir(TraceEvent))


def _shape(kind: str, keys: tuple, constants: tuple = ()) -> type:
    """The event class of ``kind`` with the JSON keys ``keys`` (``"kind"`` among them); the
    ``(name, value)`` pairs of ``constants`` are class attributes (immutable values only), the
    other fields slots, filled in the order of ``keys``."""
    memo = (kind, keys, constants, tuple(type(v) for _, v in constants))     # 0, 0.0 and False differ
    cls = _SHAPES.get(memo)
    if cls is None:
        fixed = dict(constants)
        names = tuple(k for k in keys if k != "kind" and k not in fixed)
        bad = [k for k in (*names, *fixed) if k in _RESERVED or not k.isidentifier() or iskeyword(k)]
        if bad:
            raise ValueError(f"trace field name(s) {bad} of {kind!r} cannot be event fields")
        # NOTE: a generated __init__ assigning each slot, as collections.namedtuple generates its
        # __new__: one call per event instead of a setattr loop.
        args = ", ".join(names)
        body = "".join(f"    self.{n} = {n}\n" for n in names) or "    pass\n"
        namespace: dict = {}
        exec(f"def __init__(self, {args}):\n{body}", namespace)     # noqa: S102 - names are identifiers
        cls = type(f"TraceEvent_{kind}", (TraceEvent,), {
            "__slots__": names, "kind": kind, "_keys": keys, "_keyset": frozenset(keys),
            "__init__": namespace["__init__"], **fixed})
        _SHAPES[memo] = cls
    return cls


class TraceFormatError(ValueError):
    """A trace file that is not a snapsim trace: its message names the line and what is wrong."""


def event(data: dict) -> TraceEvent:
    """A :class:`TraceEvent` holding the fields of ``data`` (which must have a ``kind``)."""
    keys = tuple(data)
    return _shape(data["kind"], keys)(*[v for k, v in data.items() if k != "kind"])


class Trace:
    """An ordered list of trace events at one level, with counters of every kind.

    ``of(kind, ...)`` and ``first(kind, ...)`` use an index by kind built on first use (and
    extended as events are added), so a reader that wants a few kinds does not scan the rest.
    """

    def __init__(self, level: str = "full") -> None:
        if level not in LEVELS:
            raise ValueError(f"unknown trace level {level!r}; expected one of {sorted(LEVELS)}")
        self.level = level
        self.rank = LEVELS[level]
        self.events: list[TraceEvent] = []
        self.counters: Counter[str] = Counter()
        self.full = self.rank >= FULL
        self.control = self.rank >= CONTROL
        self._index: dict[str, array] = {}
        self._indexed = 0                      # events[:_indexed] are in the index
        self._emit_shapes: dict[tuple, type] = {}
        self._t_in = self._t = None            # the last time emitted and its rounded value

    def _time(self, t: float) -> float:
        # NOTE: events of one instant share one rounded float (24 bytes an event otherwise); the
        # runtime passes env.now, one object per instant, so the identity test is exact and cheap
        if t is not self._t_in:
            self._t_in, self._t = t, round(t, 9)
        return self._t

    def emit(self, t: float, kind: str, task: str | None = None, **fields) -> None:
        """Record one event if the trace level keeps its kind; always count it."""
        self.counters[kind] += 1
        if KINDS[kind][0] <= self.rank:
            key = (kind, task is None, *fields)
            cls = self._emit_shapes.get(key)
            if cls is None:
                head = ("t", "kind") if task is None else ("t", "kind", "task")
                cls = self._emit_shapes[key] = _shape(kind, head + tuple(fields))
            if task is None:
                self.events.append(cls(self._time(t), *fields.values()))
            else:
                self.events.append(cls(self._time(t), task, *fields.values()))

    def emit_many(self, t: float, kind: str, fields: tuple, rows: list, task: str | None = None,
                  **constants) -> None:
        """Record one event of ``kind`` per row, all at ``t``: what ``emit`` would record, for many
        events of one shape at a fraction of the cost and memory.

        ``fields`` names the fields in their JSON order; ``constants`` gives those that are the
        same in every row (immutable values: strings, numbers, None), and each row the values of
        the others, in the order of ``fields``.
        """
        self.counters[kind] += len(rows)
        if KINDS[kind][0] <= self.rank:
            head = ("t", "kind") if task is None else ("t", "kind", "task")
            fixed = tuple(constants.items()) if task is None else (("task", task), *constants.items())
            cls, t = _shape(kind, head + tuple(fields), fixed), self._time(t)
            self.events += [cls(t, *row) for row in rows]

    def close(self, t: float) -> None:
        """Append the final ``summary`` event (sorted counters)."""
        self.events.append(event({"t": t, "kind": "summary", "counters": dict(sorted(self.counters.items()))}))

    # --- reading ---
    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def _positions(self) -> dict[str, array]:
        """kind -> positions of its events in ``events``, brought up to date."""
        events, index = self.events, self._index
        for i in range(self._indexed, len(events)):
            kind = events[i].kind
            positions = index.get(kind)
            if positions is None:
                positions = index[kind] = array("I")    # 4 bytes an event: no trace holds 2**32
            positions.append(i)
        self._indexed = len(events)
        return index

    def of(self, *kinds: str) -> list[TraceEvent]:
        """The events of the given kinds, in order."""
        index, events = self._positions(), self.events
        lists = [index[k] for k in dict.fromkeys(kinds) if k in index]
        if len(lists) == 1:
            return [events[i] for i in lists[0]]
        return [events[i] for i in heapq.merge(*lists)]

    def first(self, kind: str, **match) -> TraceEvent | None:
        """The first event of ``kind`` whose fields equal ``match``."""
        events = self.events
        for i in self._positions().get(kind, ()):
            e = events[i]
            if all(e.get(k) == v for k, v in match.items()):
                return e
        return None

    # --- JSON Lines ---
    def dumps(self) -> str:
        """The trace as JSON Lines text (deterministic: fixed key order, no spaces)."""
        import json             # NOTE: here, not at the top: a run that writes no trace never needs it

        encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
        return "".join([encode(e.to_dict()) + "\n" for e in self.events])

    def write(self, fp: IO[str]) -> None:
        """Write the trace as JSON Lines to an open text file."""
        import json

        encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
        for e in self.events:
            fp.write(encode(e.to_dict()))
            fp.write("\n")

    @classmethod
    def from_events(cls, events: Iterable, level: str | None = None) -> "Trace":
        """A trace holding ``events`` (dicts or TraceEvents), e.g. read back from JSON Lines."""
        events = [e if isinstance(e, TraceEvent) else event(e) for e in events]
        if level is None:
            start = next((e for e in events if e["kind"] == "run_start"), None)
            level = start.get("level", "full") if start else "full"
        trace = cls(level)
        trace.events = events
        for e in events:
            if e["kind"] == "summary":
                trace.counters = Counter(e["counters"])
        return trace

    @classmethod
    def loads(cls, text: str) -> "Trace":
        """Read a trace back from JSON Lines text."""
        # NOTE: lines end at "\n" only: JSON escapes it in strings, but not U+2028, which splitlines splits at
        return cls._parse(text.split("\n"))

    @classmethod
    def read(cls, path) -> "Trace":
        """Read a trace back from a JSON Lines file (line by line: the text is never held whole)."""
        with open(path, encoding="utf-8") as fp:
            return cls._parse(fp)

    @classmethod
    def _parse(cls, lines: Iterable[str]) -> "Trace":
        # NOTE: equal strings are kept once (a dict for the load): task, reader, topic and
        # transaction names repeat in every record's events, and a record's value in its write
        # and its reads; a loaded trace then takes about half the memory
        import json

        shared: dict = {}
        keep = shared.setdefault
        decode = json.JSONDecoder().decode

        def compact(data: dict) -> dict:
            for key, value in data.items():
                if type(value) is str:
                    data[key] = keep(value, value)
                elif type(value) is list:
                    value[:] = [keep(v, v) if type(v) is str else v for v in value]
            return data

        at = [1]                      # the line being read (None: all were read)

        def events():
            for line in lines:
                if line.strip():
                    yield compact(decode(line))       # NOTE: made an event while this waits here
                at[0] += 1
            at[0] = None
        try:
            return cls.from_events(events())
        except UnicodeDecodeError:            # NOTE: decoded a block at a time: no line to name
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            where = f"line {at[0]}: " if at[0] is not None else ""
            raise TraceFormatError(f"{where}{type(exc).__name__}: {exc}") from None
