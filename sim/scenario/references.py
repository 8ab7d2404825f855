"""Cross-references that a schema cannot check: topics, names, task references, links."""
from __future__ import annotations

from ..digraph import Dag, is_acyclic
from .common import TASK_REF
from .job import KafkaSinkOp, KafkaSourceOp
from .lifecycle import check_lifecycle
from .limits import check_job_limits

__all__ = ["check_references"]


def check_references(scenario, lines: dict, file: str) -> None:
    """Raise a ScenarioError (with the key's line) for the first dangling reference."""
    kind = scenario.kind
    if kind == "job":
        _check_job(scenario)
    elif kind == "chandy_lamport":
        _check_chandy_lamport(scenario)
    elif kind == "gate":
        _check_gate(scenario)


def _names(kind: str, names: list[str], scenario, *path) -> None:
    seen = set()
    for i, name in enumerate(names):
        if name in seen:
            raise scenario.error(f"{kind} name '{name}' is used twice", *path, i, "name")
        seen.add(name)


def _topic(scenario, topic: str, *path) -> None:
    topics = scenario.kafka.topics
    if topic not in topics:
        declared = ", ".join(sorted(topics)) or "none"
        raise scenario.error(f"topic '{topic}' is not declared under kafka.topics (declared: {declared})", *path)


def check_task_ref(scenario, ref: str, *path) -> None:
    """``name`` or ``name[i]`` must name an operator (and a subtask within its parallelism)."""
    m = TASK_REF.match(ref)
    ops = {op.name: op for op in scenario.job.operators}
    if not m or m.group("name") not in ops:
        raise scenario.error(f"'{ref}' is not a task: expected an operator name or name[i] "
                             f"(operators: {', '.join(ops)})", *path)
    if m.group("index") is not None:
        op = ops[m.group("name")]
        par = op.parallelism or scenario.job.parallelism
        if int(m.group("index")) >= par:
            raise scenario.error(f"'{ref}': operator '{op.name}' has parallelism {par}, "
                                 f"so subtasks are {op.name}[0] .. {op.name}[{par - 1}]", *path)


def _check_job(s) -> None:
    """Check a job scenario's cross-references (names, topics, partitions, tasks) after parsing."""
    ops = s.job.operators
    _names("operator", [op.name for op in ops], s, "job", "operators")
    _names("consumer", [c.name for c in s.consumers], s, "consumers")
    _check_input(s)
    _check_grow(s)
    for i, op in enumerate(ops):
        if isinstance(op, (KafkaSourceOp, KafkaSinkOp)):
            _topic(s, op.topic, "job", "operators", i, "topic")
    for i, c in enumerate(s.consumers):
        _topic(s, c.topic, "consumers", i, "topic")
    check_lifecycle(s)
    _check_operator_refs(s, {op.name for op in ops})
    _check_checkpointing(s.checkpointing, s)
    _check_feedback(s)
    _check_input_vs_sinks(s)             # after the feedback loop, the deeper fault when a source reads it too
    check_job_limits(s)


def _check_input(s) -> None:
    """Check each input item names a known topic, and an existing partition when it gives one."""
    for i, item in enumerate(s.input):
        if hasattr(item, "generate"):
            _topic(s, item.generate.topic, "input", i, "generate", "topic")
        elif hasattr(item, "transaction"):
            _check_input_transaction(s, i, item.transaction)
        else:
            _topic(s, item.topic, "input", i, "topic")
            topic = s.kafka.topics[item.topic]
            if item.partition is not None and item.partition >= topic.total():
                raise s.error(f"topic '{item.topic}' has {topic.total()} partition(s); partition {item.partition} "
                              "does not exist", "input", i, "partition")
            if item.partition is not None and item.at < topic.created(item.partition):
                raise s.error(f"partition {item.partition} of '{item.topic}' is only added at "
                              f"{topic.created(item.partition):g} ms", "input", i, "at")


def _check_input_vs_sinks(s) -> None:
    """Refuse plain or generated input into a topic that a kafka_sink of the job writes."""
    sinks = {op.topic: op.name for op in s.job.operators if isinstance(op, KafkaSinkOp)}
    for i, item in enumerate(s.input):
        if hasattr(item, "transaction"):
            continue                     # a live producer: its appends interleave with the sink's in time
        path = ("input", i, "generate", "topic") if hasattr(item, "generate") else ("input", i, "topic")
        topic = getattr(item, "generate", item).topic
        if topic in sinks:
            # NOTE: plain input is written into its partitions ahead of time (sim/runtime/inputs.py),
            # so the sink's live appends (and its transaction markers) would land among records
            # of a later time, and a reader could read a control marker as a value
            raise s.error(f"topic '{topic}' is written by kafka_sink '{sinks[topic]}'; plain input to it is not "
                          "supported (write the input into another topic, or use a transaction item)", *path)


def _check_grow(s) -> None:
    """Check every topic's grow steps only ever add partitions, as Kafka cannot remove them."""
    for name, topic in s.kafka.topics.items():
        sizes = [topic.partitions] + [g.partitions for g in topic.grow]
        if any(b <= a for a, b in zip(sizes, sizes[1:])):
            raise s.error("each grow step must add partitions (more than the step before)", "kafka", "topics", name,
                          "grow")


def _check_operator_refs(s, names: set) -> None:
    """Check processing_time keys name operators and faults name existing tasks."""
    for key in s.job.processing_time:
        if key != "default" and key not in names:
            raise s.error(f"'{key}' is neither 'default' nor an operator name", "job", "processing_time", key)
    for i, fault in enumerate(s.faults):
        for field in ("crash", "task", "stall"):
            ref = getattr(fault, field, None)
            if ref is not None:
                check_task_ref(s, ref, "faults", i, field)


def _check_checkpointing(cp, s) -> None:
    """Combinations of checkpointing keys that Flink refuses (docs/rules.md: barriers)."""
    if cp.unaligned and cp.mode != "exactly_once":
        raise s.error("unaligned checkpoints require mode: exactly_once", "checkpointing", "unaligned")
    if cp.unaligned and cp.max_concurrent != 1:
        raise s.error("unaligned checkpoints require max_concurrent: 1", "checkpointing", "max_concurrent")
    if cp.aligned_timeout > 0 and not cp.unaligned:
        raise s.error("aligned_timeout switches aligned checkpoints to unaligned ones: it needs unaligned: true",
                      "checkpointing", "aligned_timeout")
    if cp.unaligned and cp.alignment == "buffer":
        raise s.error("unaligned checkpoints are a Flink >= 1.11 feature and use alignment: block",
                      "checkpointing", "alignment")


def _check_feedback(s) -> None:
    """A sink writing a topic that a source upstream of it reads would read its own output forever."""
    ops = s.job.operators
    g = Dag()
    if s.job.edges:
        g.add_edges_from((e.from_, e.to) for e in s.job.edges)
    else:
        g.add_edges_from((a.name, b.name) for a, b in zip(ops, ops[1:]))
    for sink in (op for op in ops if isinstance(op, KafkaSinkOp)):
        for source in (op for op in ops if isinstance(op, KafkaSourceOp) and op.topic == sink.topic):
            g.add_edge(sink.name, source.name)
    if is_acyclic(g):
        return
    import networkx as nx                # rare: name the cycle as networkx walks it
    cycle = nx.find_cycle(g.to_networkx())
    names = [a for a, _ in cycle]
    kinds = {op.name: op for op in ops}
    hop = next(((a, b) for a, b in cycle if isinstance(kinds.get(a), KafkaSinkOp)
                and isinstance(kinds.get(b), KafkaSourceOp)), None)
    if hop is None:
        return                           # a cycle of edges alone: the job graph reports it
    sink, source = kinds[hop[0]], hop[1]
    index = next(i for i, op in enumerate(ops) if op.name == sink.name)
    raise s.error(f"a feedback loop: sink '{sink.name}' writes topic '{sink.topic}', which source '{source}' "
                  f"upstream of it reads, so every output would be read again as input, forever "
                  f"({' -> '.join(names + names[:1])})", "job", "operators", index, "topic")


def _check_tokens_and_delay(s) -> None:
    for name, tokens in s.nodes.items():
        if tokens < 0:
            raise s.error(f"process {name} cannot hold a negative number of tokens ({tokens})", "nodes", name)
    if s.delay.min > s.delay.max:
        raise s.error(f"delay.min ({s.delay.min:g}) is above delay.max ({s.delay.max:g})", "delay", "min")
    if s.delay.min <= 0:
        raise s.error("delay.min must be positive (a message takes at least one tick)", "delay", "min")


def _check_input_transaction(s, i: int, t) -> None:
    path = ("input", i, "transaction")
    _topic(s, t.topic, *path, "topic")
    topic = s.kafka.topics[t.topic]
    if t.partition >= topic.partitions:
        raise s.error(f"topic '{t.topic}' has {topic.partitions} partition(s) at the start; partition {t.partition} "
                      "does not exist", *path, "partition")
    times = [r.at for r in t.records]
    if times != sorted(times):
        raise s.error("the records of a transaction are written in time order: sort them by 'at'", *path, "records")
    if t.commit is not None and t.abort is not None:
        raise s.error("a transaction ends once: give commit or abort, not both", *path, "abort")
    end = t.commit if t.commit is not None else t.abort
    if end is not None and end < times[-1]:
        raise s.error(f"the transaction ends at {end:g} ms, before its last record ({times[-1]:g} ms)", *path,
                      "commit" if t.commit is not None else "abort")
    if t.timeout > s.kafka.transaction_max_timeout:
        raise s.error(f"timeout {t.timeout:g} ms is above the broker's transaction_max_timeout "
                      f"({s.kafka.transaction_max_timeout:g} ms): the producer could not start", *path, "timeout")
    for j, other in enumerate(s.input):
        plain = getattr(other, "generate", other)
        if not hasattr(other, "transaction") and plain.topic == t.topic:
            # NOTE: plain input is written ahead of time; a live producer on the same topic would
            # interleave with it out of time order, so the two are kept apart
            raise s.error(f"topic '{t.topic}' is written by transaction items; plain input to it is not supported "
                          "(use a transaction item that commits at once instead)", "input", j)


def _check_chandy_lamport(s) -> None:
    nodes = s.nodes
    _check_tokens_and_delay(s)
    links = set()
    for i, (a, b) in enumerate(s.links):
        for j, n in enumerate((a, b)):
            if n not in nodes:
                raise s.error(f"link names unknown process '{n}' (processes: {', '.join(nodes)})", "links", i, j)
        if a == b:
            raise s.error(f"a link joins two different processes, got {a} -> {b}", "links", i)
        if (a, b) in links:
            raise s.error(f"link {a} -> {b} is listed twice", "links", i)
        links.add((a, b))
    started = set()
    for i, ev in enumerate(s.events):
        if hasattr(ev, "send"):
            a, b, tokens = ev.send
            if tokens < 1:
                raise s.error("a send moves at least one token: [from, to, tokens >= 1]", "events", i, "send", 2)
            for j, n in enumerate((a, b)):
                if n not in nodes:
                    raise s.error(f"send names unknown process '{n}' (processes: {', '.join(nodes)})",
                                  "events", i, "send", j)
            if (a, b) not in links:
                raise s.error(f"there is no link {a} -> {b} to send over", "events", i, "send")
        else:
            if ev.snapshot not in nodes:
                raise s.error(f"snapshot names unknown process '{ev.snapshot}' (processes: {', '.join(nodes)})",
                              "events", i, "snapshot")
            if (ev.snapshot, ev.at) in started:
                raise s.error(f"process {ev.snapshot} already starts a snapshot at {ev.at:g}", "events", i, "snapshot")
            started.add((ev.snapshot, ev.at))
    if s.expect.snapshots:
        for i, snap in enumerate(s.expect.snapshots):
            for n in snap.nodes:
                if n not in nodes:
                    raise s.error(f"unknown process '{n}'", "expect", "snapshots", i, "nodes", n)


def _check_gate(s) -> None:
    # checks between keys, each blamed on the key that has to change
    if s.handler == "alternating" and s.aligned_timeout <= 0:
        raise s.error("handler 'alternating' needs aligned_timeout > 0", "handler")
    if s.handler == "alternating" and s.alignment == "buffer":
        raise s.error("handler 'alternating' works with alignment: block only", "alignment")
    if s.max_buffered_bytes and not (s.handler == "aligned" and s.alignment == "buffer"):
        raise s.error("max_buffered_bytes applies to handler 'aligned' with alignment: buffer only",
                      "max_buffered_bytes")
    for i, item in enumerate(s.items()):
        if item.channel >= s.channels:
            raise s.error(f"item {item.text} names channel {item.channel}, but the gate has channels "
                          f"0 .. {s.channels - 1}", "sequence", i)
