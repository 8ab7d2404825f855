"""The ideal reference at ``trace: summary``, streamed in bounded memory.

A summary trace keeps no values, so the checker compares only what a reader's digest keeps: a
count, an order-independent digest and the last count per key, per judged topic. This module
evaluates the job of :mod:`sim.ideal` record by record through chained generators (a source
merges its partitions by append time, operators apply their functions as records pass, a sink
folds what it writes into a :class:`~sim.runtime.readers.ReadDigest`), so memory holds the
keyed state and a few chunks of input, not the output.

The records meet in the very order of :mod:`sim.ideal`'s lists: ``heapq.merge`` is stable (ties
go to the earlier input, then keep their order), as ``sorted`` of the concatenation is, and every
flow is already in arrival order. Jobs where one operator feeds several (a stream would have to
be buffered for the other branch) or a source reads a topic the job writes fall back to the lists.
"""
from __future__ import annotations

import heapq
from itertools import islice

from .runtime.inputs import stream_partitions
from .runtime.readers import ReadDigest

__all__ = ["streamable", "stream_outputs", "digest_of"]

BATCH = 4096            # values folded into a digest at a time


def streamable(graph) -> bool:
    """Whether the job can be streamed: no operator feeds two, no source reads a topic it writes."""
    ops = [d["op"] for _, d in graph.nodes(data=True)]
    written = {op.topic for op in ops if op.type == "kafka_sink"}
    return (all(graph.out_degree(n) <= 1 for n in graph.nodes)
            and not any(op.type == "kafka_source" and op.topic in written for op in ops))


def digest_of(values) -> ReadDigest:
    """A reader's digest of ``values`` (in order), fed in batches."""
    digest = ReadDigest("", "read_uncommitted", None)
    it = iter(values)
    while batch := list(islice(it, BATCH)):
        digest.add(batch)
    return digest


def _arrival(pair):
    origin = pair[1]
    return origin[3], origin[0], origin[1], origin[2]


class _Counted:
    """Counts what passes (and, for a source, the first and last append time)."""

    def __init__(self, it, times: bool = False) -> None:
        self.n, self.first, self.last = 0, None, None
        self.it = self._times(it) if times else self._count(it)

    def _count(self, it):
        for pair in it:
            self.n += 1
            yield pair

    def _times(self, it):
        for pair in it:
            self.n += 1
            t = pair[1][3]
            if self.first is None or t < self.first:
                self.first = t
            if self.last is None or t > self.last:
                self.last = t
            yield pair


def _source(scenario, op, inputs, committed):
    """What a source reads, ``(value, origin)`` pairs in arrival order (see ``ideal._source``),
    with the committed records of transactional input (``committed``: ``ideal._committed``'s
    ``(values, origins)``, sorted stably here: the merge wants every part in arrival order)."""
    spec = scenario.kafka.topics[op.topic]
    mode = op.start_from if op.start_from != "group_offsets" else op.auto_offset_reset
    parts = []
    for index in range(spec.total()):
        if index >= spec.partitions and not op.partition_discovery_interval:
            continue
        skip = mode == "latest" and index < spec.partitions      # NOTE: as ideal._source
        parts.append(_partition(op.topic, index, inputs.get((op.topic, index), ()), skip))
    flat = heapq.merge(*parts, key=_arrival)
    if not committed[0]:
        return flat
    return heapq.merge(flat, sorted(zip(*committed), key=_arrival), key=_arrival)


def _partition(topic, index, records, skip: bool):
    for offset, (t, value) in enumerate(records):
        if skip and t <= 0:
            continue
        yield value, (topic, index, offset, t)


def _keyed_sum(it, order_dependent: set):
    """Running sums per key, noting keys whose sums depend on arrival order (as ``ideal._keyed_sum``:
    a key is order dependent when an addend differs from its first one and comes from another
    partition; with equal addends that never happens)."""
    state: dict = {}
    seen: dict = {}
    for (key, n), origin in it:
        total = state.get(key, 0) + n
        state[key] = total
        first = seen.get(key)
        if first is None:
            seen[key] = (n, origin[:2])
        elif first[0] != n and first[1] != origin[:2]:
            order_dependent.add(key)
        yield (key, total), origin


def _flat(fn, it):
    for value, origin in it:
        for x in fn(value):
            yield x, origin


def _copies(it, copies: int):
    for pair in it:
        for _ in range(copies):
            yield pair


def _operator(op, it, functions, order_dependent):
    if op.type == "kafka_sink":
        return it
    if op.type == "keyed_sum":
        return _keyed_sum(it, order_dependent)
    fn = functions.get(op.function).fn
    if op.type == "map":
        return ((fn(v), o) for v, o in it)
    return _flat(fn, it)


def stream_outputs(scenario, graph, order: list, functions, rng, committed) -> tuple:
    """``({sink topic: ReadDigest}, {operator: records it gives}, order-dependent keys)``, and the
    sources' span, evaluating the job in ``order`` (topological) with bounded memory;
    ``committed(op)``: what a source reads of transactional input, as ``(values, origins)``."""
    inputs = stream_partitions(scenario, rng)
    flows: dict[str, _Counted] = {}
    order_dependent: set = set()
    span = [None, None]
    for name in order:
        op = graph.nodes[name]["op"]
        if op.type == "kafka_source":
            flows[name] = _Counted(_source(scenario, op, inputs, committed(op)), times=True)
            continue
        parts = []
        for up in graph.predecessors(name):
            copies = graph.nodes[name]["parallelism"] if graph.edges[up, name]["partitioner"] == "broadcast" else 1
            parts.append(flows[up].it if copies == 1 else _copies(flows[up].it, copies))
        merged = parts[0] if len(parts) == 1 else heapq.merge(*parts, key=_arrival)
        flows[name] = _Counted(_operator(op, merged, functions, order_dependent))
    digests = {d["op"].topic: ReadDigest("", "read_uncommitted", None)
               for _, d in graph.nodes(data=True) if d["op"].type == "kafka_sink"}
    for name in order:                 # drain every end of the graph: sinks, in order, into their topic
        if graph.out_degree(name):
            continue
        op = graph.nodes[name]["op"]
        it = flows[name].it
        while batch := list(islice(it, BATCH)):
            if op.type == "kafka_sink":
                digests[op.topic].add([v for v, _ in batch])
    for counted in flows.values():
        if counted.first is not None:
            span[0] = counted.first if span[0] is None else min(span[0], counted.first)
            span[1] = counted.last if span[1] is None else max(span[1], counted.last)
    return digests, {name: c.n for name, c in flows.items()}, order_dependent, tuple(span) if span[0] is not None else ()
