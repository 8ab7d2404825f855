"""The ideal reference at ``trace: summary``, evaluated a window at a time in bounded memory.

A summary trace keeps no values, so the checker compares only what a reader's digest keeps: a
count, an order-independent digest and the last count per key, per judged topic. This module
evaluates the job of :mod:`sim.ideal` one *window* of append times at a time: the records of
every input partition appended before the window's end are merged by arrival, every operator
(in topological order) applies its function to the window's records held as two lists, values
and origins (a map keeps the origins' list as it is: no tuple is built per record and operator,
which is why the pairwise ``UserFunction.batch`` forms are not used here), and each sink folds
what it writes into a :class:`~sim.runtime.readers.ReadDigest`. Memory holds the keyed state and
a window of records, not the output.

Functions with a column form (``UserFunction.columns``: every built-in) take the window's values
in one call that loops in C; pairs travel as :class:`~sim.dataflow.functions.PairColumns` (keys and
numbers) between the built-ins that know them. The keyed sum counts a window of equal addends
per key in C and hands on :class:`~sim.dataflow.sums.RunningSums` (see :class:`_KeyedSum`), whose
``format_count`` texts give a sink's digest without being formed (:mod:`sim.dataflow.sums`
says why that is exact). Others are called per record, as the runtime calls them.

The ideal run does not depend on the job's shape here: an operator feeding several reads the
same window's lists, and a source reading a topic the job writes gets the window's output of its
sinks (which come first in the order), merged by arrival with the topic's own input.

Why the records meet in the very order of :mod:`sim.ideal`'s lists. There, every flow is in
arrival order (append time, topic, partition, offset) and an operator's inputs are merged by a
*stable* sort of their concatenation (ties: the earlier input, then its own order).

* A window ends at ``end``, at most the smallest last buffered append time of the partitions
  that may still give more; a window takes the records appended strictly before ``end``. A partition's
  times never decrease, so no record of a later window arrives before one of this window: the
  windows split every flow at the same arrival key, and their concatenation is the whole flow.
* Inside a window, a stable sort of the concatenated parts orders the records as the stable sort
  of the whole concatenation orders them (both sort by the same key and keep the parts' order on
  ties), and operators map each record to its outputs in order; so window by window, every
  flow is the list flow's next slice.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from itertools import accumulate, chain, filterfalse, islice, repeat
from operator import is_, itemgetter

from .dataflow.functions import PairColumns
from .dataflow.sums import Numerals, RunningSums
from .ideal_sources import INF, _Partition, _Source, by_arrival, window_end
from .runtime.inputs import stream_partitions
from .runtime.readers import MASK, ReadDigest

__all__ = ["stream_outputs", "by_arrival"]


class _KeyedSum:
    """Running sums per key (``keyBy(0).sum(1)``), noting keys whose sums depend on arrival order
    (as ``ideal._keyed_sum``: a key is order dependent when an addend differs from its first one
    and comes from another partition; with equal addends that never happens).

    NOTE: while every addend so far is one and the same int object (``(word, 1)``: the small
    int 1 is one object), a window is counted in C (``Counter``) and given as
    :class:`~sim.dataflow.sums.RunningSums`: each key's sums are its sum so far plus the addend,
    once per record (the very additions of the loop), computed only if read; the state moves to
    each key's last sum, and only keys new to the window are looked at in Python, to note their
    first addend and partition. Any other window takes the loop, which checks each record's addend."""

    def __init__(self, order_dependent: set) -> None:
        self.state: dict = {}           # key -> running sum
        self.firsts: dict = {}          # key -> (first addend, its topic, its partition)
        self.addend = self              # the first addend of all (self: none yet)
        self.mixed = False              # a key's first addend differs from it: check every record
        self.numerals = Numerals()      # the texts of sums, for format_count's digest (this run's own)
        self.order_dependent = order_dependent

    def __call__(self, values, origins: list) -> tuple:
        if values and self.addend is self:
            self.addend = values[0][1]
        a = self.addend
        if not self.mixed and type(a) is int:
            if isinstance(values, PairColumns):
                if values.same is a or all(map(is_, values.numbers, repeat(a))):
                    return self._same(values.keys, origins, values.plain), origins
            elif all(map(is_, map(itemgetter(1), values), repeat(a))):
                return self._same(list(map(itemgetter(0), values)), origins, False), origins
        return self._loop(values, origins), origins

    def _same(self, keys: list, origins, texts: bool) -> RunningSums:
        """The sums of a window whose addends are all ``self.addend`` (``texts``: every key is a str)."""
        state, a = self.state, self.addend
        counts = Counter(keys)
        new = list(filterfalse(state.__contains__, counts))
        if new:
            self._note_firsts(new, keys, origins)
        starts = list(map(state.__getitem__, counts))
        kinds = set(map(type, starts))
        out = RunningSums(keys, (list(counts), starts, list(counts.values())), a, texts and kinds <= {int, float},
                          self.numerals)
        if kinds <= {int}:              # NOTE: exact: s + c * a is s plus a, c times
            state.update(zip(counts, out.ends()))
        else:                           # floats (...) added one by one: each key's last sum
            state.update(zip(keys, out.numbers))
        return out

    def _note_firsts(self, new: list, keys: list, origins) -> None:
        """Note the first addend and partition of each key ``new`` to the state (sum so far 0)."""
        state, firsts, a = self.state, self.firsts, self.addend
        first = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1))) if len(new) > 8 else None
        for key in new:
            origin = origins[first[key] if first is not None else keys.index(key)]
            firsts[key] = (a, origin[0], origin[1])
            state[key] = 0

    def _loop(self, values: list, origins: list) -> list:
        """The sums of any window, record by record, checking each addend."""
        state, firsts, out = self.state, self.firsts, []
        get, append, check = state.get, out.append, self._check
        addend, mixed = self.addend, self.mixed
        for (key, n), origin in zip(values, origins):
            old = get(key)
            if old is None:
                old = 0
                firsts[key] = (n, origin[0], origin[1])
                mixed = mixed or n != addend
            elif mixed or n != addend:        # NOTE: equal addends everywhere: nothing to check
                check(key, n, origin)
            total = old + n
            state[key] = total
            append((key, total))
        self.mixed = mixed
        return out

    def _check(self, key, n, origin) -> None:
        first = self.firsts[key]
        if first[0] != n and first[1:] != origin[:2]:
            self.order_dependent.add(key)


def _operator(op, functions, order_dependent):
    """A function from a window's ``(values, origins)`` to the operator's output ``(values, origins)``
    (through the function's column form when it has one)."""
    if op.type == "keyed_sum":
        return _KeyedSum(order_dependent)
    function = functions.get(op.function)
    fn, columns = function.fn, function.columns
    if op.type == "map":
        if columns is not None:
            return lambda values, origins: (columns(values), origins)
        return lambda values, origins: (list(map(fn, values)), origins)

    def flat_map(values, origins):
        if columns is not None:
            outs, counts = columns(values)
        else:
            lists = list(map(fn, values))
            outs, counts = list(chain.from_iterable(lists)), list(map(len, lists))
        return outs, _Repeated(origins, counts)
    return flat_map


class _Repeated(Sequence):
    """A flat_map's output origins: each input origin repeated as often as its record gave
    outputs (``counts``: a list, a function giving it, or an iterator of them), listed only when
    read in order. Indexing reads an iterator only as far as the index needs: a keyed sum of
    equal addends reads just the first record of each new key, mostly early in a window."""

    __slots__ = ("origins", "known", "rest", "ends")

    def __init__(self, origins, counts) -> None:
        self.origins, self.ends = origins, []          # ends[k]: outputs of the first k + 1 records
        self.known, self.rest = (counts, None) if isinstance(counts, list) else ([], counts)

    @property
    def counts(self) -> list:
        if self.rest is not None:
            self.known += self.rest() if callable(self.rest) else self.rest
            self.rest = None
        return self.known

    def __len__(self) -> int:
        return sum(self.counts)

    def __iter__(self):
        return chain.from_iterable(map(repeat, self.origins, self.counts))

    def __getitem__(self, index: int):
        if index < 0:
            index += len(self)
            if index < 0:
                raise IndexError(index)
        ends, known = self.ends, self.known
        while not ends or ends[-1] <= index:
            if len(ends) == len(known) and not self._read(max(64, len(known))):
                raise IndexError(index)
            ends += islice(accumulate(known[len(ends):], initial=ends[-1] if ends else 0), 1, None)
        return self.origins[bisect_right(ends, index)]

    def _read(self, n: int) -> bool:
        """Read up to ``n`` more counts (False: there are none)."""
        if callable(self.rest):                          # a function gives them all at once
            self.rest = iter(self.rest())
        more = list(islice(self.rest, n)) if self.rest is not None else []
        self.known += more
        if not more:
            self.rest = None
        return bool(more)


def _inputs(graph, name: str, chunks: dict) -> tuple[list, list]:
    """The window's records into ``name``: its upstream operators' in arrival order, each copied
    once per subtask over a broadcast edge (as ``ideal._inputs`` and ``ideal._merge``)."""
    parts = []
    for up in graph.predecessors(name):
        copies = graph.nodes[name]["parallelism"] if graph.edges[up, name]["partitioner"] == "broadcast" else 1
        values, origins = chunks[up]
        parts.append((values, origins) if copies == 1 else
                     ([v for v in values for _ in range(copies)], [o for o in origins for _ in range(copies)]))
    if len(parts) == 1:
        return parts[0]
    return by_arrival([v for values, _ in parts for v in values], [o for _, origins in parts for o in origins])


class _Job:
    """The job's operators in ``order`` (topological, every sink before the sources reading its
    topic), applied to one window after another."""

    def __init__(self, scenario, graph, order: list, functions, committed) -> None:
        self.graph, self.order = graph, order
        self.ops = ops = {name: graph.nodes[name]["op"] for name in order}
        self.order_dependent: set = set()
        self.sources = {n: _Source(scenario, op, committed(op)) for n, op in ops.items() if op.type == "kafka_source"}
        self.steps = {n: _operator(op, functions, self.order_dependent) for n, op in ops.items()
                      if op.type not in ("kafka_source", "kafka_sink")}
        # one digest per sink, added up in sink order at the end: the list reference writes each
        # sink's whole output after the previous one's (the last value per key wins)
        self.sinks = {n: ReadDigest("", "read_uncommitted", None) for n, op in ops.items() if op.type == "kafka_sink"}
        self.given = dict.fromkeys(order, 0)

    def window(self, taken: dict, end: float) -> None:
        """Evaluate the window of the records appended before ``end`` (``taken``: each partition's)."""
        chunks: dict = {}
        written: dict = {}
        for name in self.order:
            op = self.ops[name]
            if op.type == "kafka_source":
                chunk = self.sources[name].window(taken, end, written.get(op.topic, []))
            else:
                chunk = _inputs(self.graph, name, chunks)
                if op.type == "kafka_sink":
                    written.setdefault(op.topic, []).append(chunk)
                    if chunk[0]:
                        self.sinks[name].add(chunk[0])
                else:
                    chunk = self.steps[name](*chunk)
            chunks[name] = chunk
            self.given[name] += len(chunk[0])

    def span(self) -> tuple:
        """The first and last append time of what the sources read (empty: nothing read)."""
        read = [s for s in self.sources.values() if s.first is not None]
        return (min(s.first for s in read), max(s.last for s in read)) if read else ()


def stream_outputs(scenario, graph, order: list, functions, rng, committed, shared=None) -> tuple:
    """``({sink topic: ReadDigest}, {operator: records it gives}, order-dependent keys, span)``:
    the job evaluated in ``order`` (topological, every sink before the sources reading its topic)
    a window at a time; ``committed(op)``: what a source reads of transactional input, as
    ``(values, origins)``; ``span``: the first and last append time of what the sources read;
    ``shared``: see :class:`~sim.runtime.inputs.SharedInput`."""
    job = _Job(scenario, graph, order, functions, committed)
    read = {(s.topic, index) for s in job.sources.values() for index, _ in s.partitions}
    parts = {key: _Partition(chunks) for key, chunks in stream_partitions(scenario, rng, shared).items()
             if key in read}
    end = -INF
    while end < INF:
        end = window_end(parts.values())
        job.window({key: p.take(end) for key, p in parts.items()}, end)
    return _by_topic(job.ops, job.sinks), job.given, job.order_dependent, job.span()


def _by_topic(ops: dict, sinks: dict) -> dict:
    """``{topic: ReadDigest}``: the digests of the sinks of each topic added up, in sink order."""
    digests: dict = {}
    for name, one in sinks.items():
        total = digests.setdefault(ops[name].topic, ReadDigest("", "read_uncommitted", None))
        total.count += one.count
        total.digest = (total.digest + one.digest) & MASK
        total.finals.update(one.finals)
    return digests
