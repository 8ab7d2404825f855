"""The ideal reference of a job (docs/verdicts.md), computed without simulating.

The checker judges a run against an *ideal run* of the same input through the same job: no
faults, no lost or aborted transactions, everything written and visible. Simulating that run
would bring back every failure mode the model has without faults (broker timeouts, fencing,
checkpoints wider than the transaction timeout, a sink that cannot start), so the reference is
computed instead: the job graph's functions are applied to the input records in plain Python.

* Each source reads the partitions it would read (of transactional input, only what commits), in offset order: ``earliest`` from offset 0,
  ``latest`` (or ``group_offsets`` falling back to ``latest``) only what is written after the job
  starts at 0 ms; partitions added by ``grow`` only with ``partition_discovery_interval``.
* ``flat_map``/``map`` apply the named function; ``keyed_sum`` keeps one running sum per key;
  a ``broadcast`` edge copies each record to every downstream subtask; a sink writes to its topic.
* Records meet at an operator in the order of their input's append time (ties: topic, partition,
  offset), as a fault-free run with equal latencies delivers them.

NOTE: with values other than a constant per key (e.g. a keyed_sum fed sums), a running sum's
intermediate values depend on the order in which records of different partitions arrive, which
the model does not fix. Those keys are listed in ``Reference.order_dependent``; the checker
judges their values by count and final sum only.

If the ideal run could not finish in the scenario's time (input written after ``until``, more
processing than fits, no checkpoint left to commit the last transaction), the reference says so
(``complete=False`` with a reason) and the checker reports that it cannot judge, instead of judging
against a partial reference. A reference depends on the input, the job and the time limit only,
so one reference serves many runs (a sweep of checkpoint settings, a crash-point exploration).
"""
from __future__ import annotations

import hashlib
import math
import random

from .dataflow import FunctionRegistry, JobGraph
from .digraph import lexicographic_order
from .ideal_stream import by_arrival, stream_outputs
from .runtime.inputs import SharedInput, committed_transaction_records, input_rng, partition_records
from .runtime.readers import READ_FIELDS, ReadDigest
from .scenario import JobScenario
from .trace import Trace
from .values import Value, replace, set_field

__all__ = ["Reference", "ideal_reference", "reference_signature"]


class Reference(Value):
    """What an ideal run writes to each sink topic, and whether it could finish in time."""

    __slots__ = ("outputs", "complete", "reason", "finish_ms", "order_dependent", "records_read", "signature", "work",
                 "span", "digests")

    def __init__(self, outputs: dict | None, complete: bool, reason: str | None, finish_ms: float,
                 order_dependent: tuple = (), records_read: int = 0, signature: str = "", work: tuple = (),
                 span: tuple = (), digests: dict | None = None) -> None:
        # outputs: topic -> (values, origins), in ideal order (None: digests only)
        set_field(self, "outputs", outputs)
        set_field(self, "complete", complete)
        set_field(self, "reason", reason)                   # why it could not finish in the scenario's time
        set_field(self, "finish_ms", finish_ms)             # a lower bound of when the ideal run is done
        set_field(self, "order_dependent", order_dependent)  # keys whose intermediate sums depend on arrival order
        set_field(self, "records_read", records_read)       # input records the sources read
        set_field(self, "signature", signature)             # of the scenario parts the outputs depend on
        set_field(self, "work", work)       # (operator, records in, parallelism, processing time) per operator
        set_field(self, "span", span)                       # (first, last) append time of the input read
        set_field(self, "digests", digests)                 # topic -> ReadDigest, when computed for summary traces only

    def timed(self, scenario: JobScenario) -> "Reference":
        """This reference judged against ``scenario``'s time limit and checkpoint spacing (the
        outputs do not depend on them, so one reference serves a sweep of those settings)."""
        finish, reason = _finish(scenario, self.work, self.span)
        return replace(self, complete=reason is None, reason=reason, finish_ms=finish)

    def trace(self, level: str = "control", topics=None) -> Trace:
        """The reference as a trace the checker reads: a ``reference`` event, then what the
        ``_reference`` reader of ``topics`` (default: every sink topic) saw."""
        if self.outputs is None and level != "summary":
            raise ValueError("this reference was computed for summary traces (digests, no values): "
                             "compute it with ideal_reference(scenario) to judge a control or full trace")
        topics = list(topics or (self.outputs if self.outputs is not None else self.digests))
        trace = Trace("summary" if level == "summary" else "control")
        trace.emit(0.0, "reference", None, complete=self.complete, reason=self.reason, finish=self.finish_ms,
                   order_dependent=list(self.order_dependent), records_read=self.records_read, topics=topics)
        for topic in topics:
            values, origins = (self.outputs or {}).get(topic, ([], []))
            if trace.control:            # in bulk: Trace.emit per read would cost more than the reference
                trace.emit_many(0.0, "consumer_read", READ_FIELDS, list(zip(range(len(values)), values, origins)),
                                consumer="_reference", isolation="read_uncommitted", topic=topic, partition=0,
                                txn=None)
            else:                        # one digest per topic: the checker adds those it judges
                digest = ReadDigest(f"_reference:{topic}", "read_uncommitted", trace)
                if self.digests is not None and topic in self.digests:
                    done = self.digests[topic]
                    digest.count, digest.digest, digest.finals = done.count, done.digest, done.finals
                else:
                    digest.add(values)
                digest.close(0.0)
        return trace


def reference_signature(scenario: JobScenario) -> str:
    """A digest of what the reference's outputs depend on: seed, topics, input and job."""
    text = scenario.model_dump_json(include={"seed", "kafka", "input", "job"})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def ideal_reference(scenario: JobScenario, functions: FunctionRegistry | None = None,
                    summary: bool = False, shared: SharedInput | None = None) -> Reference:
    """The ideal run's output of a job scenario, computed by evaluating the job on its input.

    ``summary``: keep only what a summary trace's checker compares (count, digest and final
    counts per sink topic), streamed in bounded memory; such a reference judges summary traces only.
    ``shared``: keeps the generated input lines for the run's simulation (``sim.run``).
    """
    functions = functions or FunctionRegistry()
    graph = JobGraph.build(scenario, functions).dag
    if summary:
        return _streamed(scenario, graph, functions, shared)
    records = partition_records(scenario, input_rng(random.Random(scenario.seed)), shared)
    flows, order_dependent, written = _evaluate(scenario, graph, functions, records)
    outputs = _outputs(graph, written)
    work, span = _work(scenario, graph, flows)
    read = sum(len(flows[n][0]) for n in graph.nodes if graph.nodes[n]["op"].type == "kafka_source")
    return Reference(outputs, True, None, 0.0, tuple(sorted(order_dependent, key=str)), read,
                     reference_signature(scenario), work, span).timed(scenario)


def _evaluate(scenario: JobScenario, graph, functions: FunctionRegistry, records) -> tuple[dict, set, dict]:
    """(flows, order_dependent, written): each operator's output in topological order, columnwise."""
    committed = committed_transaction_records(scenario)
    flows: dict[str, tuple] = {}       # operator -> (values, origins): what it gives, columnwise
    order_dependent: set = set()
    written: dict[str, list] = {}      # what sinks wrote, for sources of the same job that read it
    for name in _topological(graph):
        op = graph.nodes[name]["op"]
        if op.type == "kafka_source":
            flows[name] = _merge([_source(scenario, op, records), _committed(op, committed),
                                  *written.get(op.topic, [])], always=True)
            continue
        flows[name] = _apply(op, _merge(_inputs(graph, name, flows)), functions, order_dependent)
        if op.type == "kafka_sink":
            written.setdefault(op.topic, []).append(flows[name])
    return flows, order_dependent, written


def _inputs(graph, name: str, flows: dict) -> list:
    """What each upstream operator gives ``name``, repeated once per subtask over a broadcast edge."""
    parts = []
    for up in graph.predecessors(name):
        values, origins = flows[up]
        copies = graph.nodes[name]["parallelism"] if graph.edges[up, name]["partitioner"] == "broadcast" else 1
        parts.append((values, origins) if copies == 1 else
                     ([v for v in values for _ in range(copies)], [o for o in origins for _ in range(copies)]))
    return parts


def _outputs(graph, written: dict) -> dict:
    """Each sink topic's (values, origins), empty for a sink that wrote nothing, so every sink is judged."""
    outputs = {topic: _merge(parts, always=False, concat=True) for topic, parts in written.items()}
    for name, data in graph.nodes(data=True):
        if data["op"].type == "kafka_sink":
            outputs.setdefault(data["op"].topic, ([], []))
    return outputs


def _streamed(scenario, graph, functions, shared) -> Reference:
    """The summary reference, evaluated a window at a time (``sim.ideal_stream``)."""
    order = _topological(graph)
    committed = committed_transaction_records(scenario)
    digests, given, order_dependent, span = stream_outputs(
        scenario, graph, order, functions, input_rng(random.Random(scenario.seed)), lambda op: _committed(op, committed),
        shared)
    work = []
    for name, data in graph.nodes(data=True):      # records in, counted as _work counts them
        op = data["op"]
        n_in = given[name] if op.type in ("kafka_source", "kafka_sink") else \
            sum(given[u] for u in graph.predecessors(name))
        work.append((name, n_in, data["parallelism"], _ptime(scenario, name, op)))
    read = sum(given[n] for n in graph.nodes if graph.nodes[n]["op"].type == "kafka_source")
    return Reference(None, True, None, 0.0, tuple(sorted(order_dependent, key=str)), read,
                     reference_signature(scenario), tuple(work), span, digests).timed(scenario)


def _ptime(scenario, name, op) -> float:
    ptimes = scenario.job.processing_time
    return op.processing_time if op.processing_time is not None else ptimes.get(name, ptimes.get("default", 0.1))


def _topological(graph) -> list:
    """Operators in an order where every sink comes before the sources that read its topic (the
    scenario refuses feedback loops, so there is one)."""
    g = graph.copy()
    ops = [d["op"] for _, d in graph.nodes(data=True)]
    g.add_edges_from((a.name, b.name) for a in ops for b in ops
                     if a.type == "kafka_sink" and b.type == "kafka_source" and a.topic == b.topic)
    return lexicographic_order(g, key=lambda n: graph.nodes[n]["index"])


def _merge(parts: list, always: bool = False, concat: bool = False) -> tuple:
    """Several (values, origins) flows as one, by their input's append time (stable: copies and
    records of one input keep their order); ``concat`` keeps the parts' order instead."""
    if len(parts) == 1 and not always:
        return parts[0]
    values = [v for vs, _ in parts for v in vs]
    origins = [o for _, os_ in parts for o in os_]
    if concat:
        return values, origins
    return by_arrival(values, origins)


def _source(scenario, op, records) -> tuple:
    """What a source reads: its topic's partitions from its start position, as (values, origins)."""
    spec = scenario.kafka.topics[op.topic]
    mode = op.start_from if op.start_from != "group_offsets" else op.auto_offset_reset
    values, origins = [], []
    for index in range(spec.total()):
        if index >= spec.partitions and not op.partition_discovery_interval:
            continue                           # a partition added later is never found without discovery
        times, vals = records.get((op.topic, index), ([], []))
        # NOTE: 'latest' at the job's start (0 ms) skips what was written at or before 0 ms; a
        # discovered partition is read from the earliest offset (docs/connectors.md)
        first = 0
        if mode == "latest" and index < spec.partitions:
            first = next((k for k, t in enumerate(times) if t > 0), len(times))     # times are sorted
        values += vals[first:]
        origins += [(op.topic, index, offset, times[offset]) for offset in range(first, len(times))]
    return values, origins


def _committed(op, committed: dict) -> tuple:
    # NOTE: sim.ideal_stream reads these too (sorted by arrival before its merge)
    """What a source reads of its topic's transactional input in an ideal run: the committed records
    only (NOTE: 'latest' skips what was written at or before 0 ms, as for plain input)."""
    mode = op.start_from if op.start_from != "group_offsets" else op.auto_offset_reset
    rows = [(op.topic, p, offset, at, value) for (topic, p), recs in sorted(committed.items()) if topic == op.topic
            for at, offset, value in recs if not (mode == "latest" and at <= 0)]
    return [r[4] for r in rows], [r[:4] for r in rows]


def _apply(op, flow: tuple, functions, order_dependent: set) -> tuple:
    values, origins = flow
    if op.type == "kafka_sink":
        return flow
    if op.type == "keyed_sum":
        return _keyed_sum(values, origins, order_dependent), origins
    fn = functions.get(op.function).fn
    if op.type == "map":
        return list(map(fn, values)), origins
    outs = list(map(fn, values))
    return [x for out in outs for x in out], [o for out, o in zip(outs, origins) for _ in range(len(out))]


def _keyed_sum(values: list, origins: list, order_dependent: set) -> list:
    """Running sums per key (``keyBy(0).sum(1)``); notes keys whose sums depend on arrival order."""
    state: dict = {}
    get = state.get
    out = []
    append = out.append
    for key, n in values:
        total = get(key, 0) + n
        state[key] = total
        append((key, total))
    if len({pair[1] for pair in values}) > 1:          # equal addends: every order gives the same sums
        seen: dict = {}                                # key -> (first addend, its input partition)
        for (key, n), origin in zip(values, origins):
            first = seen.setdefault(key, (n, origin[:2]))
            if first[0] != n and first[1] != tuple(origin[:2]):
                order_dependent.add(key)
    return out


def _work(scenario, graph, flows) -> tuple:
    """Per operator (name, records in, parallelism, processing time per record), and the input's
    (first, last) append time."""
    work = []
    for name, data in graph.nodes(data=True):
        op = data["op"]
        ptime = _ptime(scenario, name, op)
        n_in = len(flows[name][0]) if op.type in ("kafka_source", "kafka_sink") else \
            sum(len(flows[u][0]) for u in graph.predecessors(name))
        work.append((name, n_in, data["parallelism"], ptime))
    times = [origin[3] for name in flows if graph.nodes[name]["op"].type == "kafka_source" for origin in flows[name][1]]
    return tuple(work), ((min(times), max(times)) if times else ())


def _finish(scenario, work, span) -> tuple[float, str | None]:
    """A lower bound of when the ideal run is done, and why it cannot be done in time (or None)."""
    run = scenario.run
    limit = run.max_time if run.until == "drained" else run.until
    what = "max_time" if run.until == "drained" else "until"
    if not span:
        return 0.0, None
    first, last = span
    if last >= limit:
        return last, (f"input is written until {last:g} ms, but the run stops at {limit:g} ms ({what}); "
                      f"the ideal run cannot read it all")
    busy, where = 0.0, None
    for name, n_in, par, ptime in work:
        need = math.ceil(n_in / par) * ptime         # the busiest subtask has at least the mean
        if need > busy:
            busy, where = need, (name, n_in, ptime, par)
    finish = max(last, first + busy)
    if first + busy >= limit:
        name, n, ptime, par = where
        return finish, (f"operator '{name}' needs at least {busy:g} ms to process its {n} record(s) "
                        f"({ptime:g} ms each over parallelism {par}), but the run stops at {limit:g} ms ({what})")
    cp = scenario.checkpointing
    transactional = any(op.type == "kafka_sink" and op.semantic == "exactly_once" for op in scenario.job.operators)
    if transactional and cp.interval and cp.initial_delay is not None:
        # the commit waits for a checkpoint: they are triggered at initial_delay + k x interval (a random
        # first delay, Flink's default, leaves only 'finish' itself as a lower bound)
        k = max(0, math.ceil((finish - cp.initial_delay) / cp.interval + 1e-12))
        finish = cp.initial_delay + k * cp.interval
        if finish >= limit:
            return finish, (f"the last output can only be committed by a checkpoint at {finish:g} ms or later "
                            f"(one every {cp.interval:g} ms), but the run stops at {limit:g} ms ({what})")
    return finish, None
