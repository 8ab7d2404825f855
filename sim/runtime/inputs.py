"""The scenario's input records, written to the input topics at their times.

Explicit records go to their partition (or one chosen by key, or round-robin); ``generate``
items produce lines of words at a rate, drawn from the run's RNG (uniform or Zipf-skewed words).
Records are written ahead of time with their append times: readers only see them once that
time has come, so the producer costs no simulated events (a consumer of an input topic wakes at
those times itself: sim/runtime/readers.py).

Generated lines are produced lazily, a chunk at a time, when a reader looks past what has been
written (``Partition.feed``), and :func:`trim_inputs` forgets what no reader and no retained
checkpoint can need any more: memory stays bounded however long the input is. Each ``generate``
item draws from its own copy of the input RNG, started where the eager order (items one after
the other) would start it, so the records are the same whether produced early or late.

``transaction`` items are an upstream transactional producer (another Flink job's sink, say): a
SimPy process writes their records at their times into one Kafka transaction, then commits or
aborts it -- or leaves it open until the broker's timeout aborts it. Read_uncommitted readers
see the records at once, also those of a transaction that is later aborted (docs/connectors.md; docs/rules.md: Kafka).
"""
from __future__ import annotations

import heapq
import random
import sys
from itertools import islice
from zlib import crc32

from ..kafka.transactions import KafkaError

__all__ = ["write_inputs", "partition_records", "stream_partitions", "input_rng", "generate_lines", "generate_chunks",
           "trim_inputs", "InputProducers", "committed_transaction_records", "SharedInput"]

CHUNK = 4096          # lines produced at a time
SHARED_LINES = 1 << 16      # generated lines a SharedInput keeps between two readings, at most, all items together
_TOP_BYTE = 3 if sys.byteorder == "little" else 0      # the most significant byte of a native 32-bit word


def generate_chunks(spec, rng, chunk: int = CHUNK):
    """``(times, lines)`` chunks of a ``generate`` item, in order (``chunk`` lines each)."""
    words, k = spec.words, spec.words_per_line
    count = int(round(spec.rate * spec.duration))
    weights = [1.0 / (i + 1) for i in range(len(words))]
    step, start = 1.0 / spec.rate, spec.start
    for first in range(0, count, chunk):
        n = min(chunk, count - first)
        if spec.key_skew == "zipf":
            lines = _joined(rng.choices(words, weights, k=n * k), k)
        else:
            lines = _lines(words, _indexes(rng, len(words), n * k), k)
        # NOTE: drawing in chunks gives the very draws of one big call (randbytes and choices
        # consume the generator sequentially), so chunking changes no record
        yield [start + i * step for i in range(first, first + n)], lines


def _joined(drawn: list, k: int) -> list:
    """Lines of ``k`` words each, one after the other in ``drawn``.

    NOTE: lines are joined by ``map`` over a C callable: no Python frame per line."""
    return list(map(" ".join, zip(*[iter(drawn)] * k)))


def _lines(words: list, indexes, k: int) -> list:
    """The lines of ``k`` words each, the words picked by ``indexes`` one after the other.

    NOTE: when the indexes are bytes (``_indexes``: a vocabulary of a power of two words), of 2
    to 16 words, a line has three words or more and the chunk has at least as many lines as
    there are pairs of words (so the pairs' table pays for itself), every two neighbours of a line are picked as one: their
    codes ``a * len(words) + b`` fit a byte, made for all lines at once by ``bytes.translate``
    and an OR of two ints; a table of the pairs' texts (" ".join, the later ones led by their
    space) gives a line's texts, joined by "".join: half the picks, a shorter join, the same
    text as joining the words. Otherwise words are picked by a comprehension (indexing in its
    loop is cheaper than a call of ``words.__getitem__`` per word).
    """
    size, lines = len(words), len(indexes) // k
    bits = size.bit_length() - 1
    if type(indexes) is not bytes or size != 1 << bits or not 1 <= bits <= 4 or k < 3 or lines < size * size:
        return _joined([words[i] for i in indexes], k)
    shifted = bytes((b << bits) & 255 for b in range(256))
    pairs = [" ".join((a, b)) for a in words for b in words]
    led_pairs, led_words = [" " + p for p in pairs], [" " + w for w in words]
    columns = []
    for j in range(0, k - 1, 2):
        codes = (int.from_bytes(indexes[j::k].translate(shifted), "little")
                 | int.from_bytes(indexes[j + 1::k], "little")).to_bytes(lines, "little")
        table = led_pairs if j else pairs
        columns.append([table[c] for c in codes])
    if k % 2:
        columns.append([led_words[c] for c in indexes[k - 1::k]])
    return list(map("".join, zip(*columns)))


def generate_lines(spec, rng) -> tuple[list[float], list[str]]:
    """(times, lines) of a ``generate`` item: lines of ``words_per_line`` words at ``rate``."""
    times, lines = [], []
    for ts, ls in generate_chunks(spec, rng):
        times += ts
        lines += ls
    return times, lines


def _indexes(rng, n: int, size: int):
    """``size`` uniform draws from range(n), fast: 32 random bits per draw, drawn in one call.

    A draw is ``(x * n) >> 32`` of a 32-bit word ``x``. NOTE: when ``n`` is a power of two up to
    256 that is the top bits of the word's most significant byte, taken for all draws at once with
    a slice and ``bytes.translate`` (the same numbers, no Python step per draw).
    """
    raw = rng.randbytes(4 * size)
    bits = memoryview(raw).cast("I")
    k = n.bit_length() - 1
    if n == 1 << k and 0 < k <= 8 and bits.itemsize == 4:
        return raw[_TOP_BYTE::4].translate(bytes(b >> (8 - k) for b in range(256)))
    return [(x * n) >> 32 for x in bits]


class _Spread:
    """One generate item's lines dealt round-robin to ``n`` partitions, produced on demand."""

    def __init__(self, spec, chunks, n: int, first: int) -> None:
        self.chunks, self.n, self.next = chunks, n, first
        self.first = first
        self.count = int(round(spec.rate * spec.duration))
        self.start, self.step = spec.start, 1.0 / spec.rate
        self.queues: list[list] = [[] for _ in range(n)]

    def lines_until(self, now: float) -> int:
        """How many lines of the item have a time at or before ``now``."""
        start, step, count = self.start, self.step, self.count
        if now < start or count == 0:
            return 0
        if now >= start + (count - 1) * step:
            return count
        i = int((now - start) / step)
        # NOTE: the times are start + i * step exactly as generate_chunks computes them; the
        # division may round either way, so step to the exact boundary
        while i + 1 < count and start + (i + 1) * step <= now:
            i += 1
        while i >= 0 and start + i * step > now:
            i -= 1
        return i + 1

    def partition(self, p: int) -> "_Fed":
        return _Fed(self, p, (p - self.first) % self.n)

    def take(self, p: int):
        """The next ``(times, values)`` chunk of partition ``p`` (None when there is no more)."""
        queue = self.queues[p]
        while not queue:
            if not self._produce():
                return None
        return queue.pop(0)

    def _produce(self) -> bool:
        chunk = next(self.chunks, None)
        if chunk is None:
            return False
        times, lines = chunk
        for j in range(self.n):
            p = (self.next + j) % self.n
            if j < len(lines):
                self.queues[p].append((times[j::self.n], lines[j::self.n]))
        self.next = (self.next + len(lines)) % self.n
        return True


class _Fed:
    """The lines of one partition of a spread item: what ``Partition.feed`` reads."""

    def __init__(self, spread: _Spread, p: int, residue: int) -> None:
        self.spread, self.p, self.residue = spread, p, residue
        self.total = self._of(spread.count)
        self.chunks = iter(lambda: spread.take(p), None)

    def _of(self, lines: int) -> int:
        """How many of the item's first ``lines`` lines go to this partition."""
        n, r = self.spread.n, self.residue
        return (lines - r + n - 1) // n if lines > r else 0

    def count_until(self, now: float) -> int:
        return self._of(self.spread.lines_until(now))

    def __iter__(self):
        return self.chunks


class SharedInput:
    """The generated lines of one ``sim.run``, drawn once for its ideal reference and its simulation.

    Both read the same ``generate`` items from the same RNG states, so the second reading takes
    the chunks the first one drew to the end (then they are forgotten). At most
    :data:`SHARED_LINES` lines are kept for the whole run (items in scenario order while they fit),
    so memory stays bounded however many items there are; the others are drawn twice, and so is
    an item the first reading did not read to its end (a topic no source reads).

    NOTE: exact: an item's chunks depend only on its spec and its RNG's state (the key), and no
    reader changes a chunk's lists (the reference copies them into its partitions' buffers, the
    runtime slices them per partition). An item's RNG is its own copy and is not read after its
    chunks are drawn (``_streams``), so a reading that takes kept chunks leaves nothing behind.
    """

    def __init__(self) -> None:
        self._kept: dict = {}           # (item index, RNG state) -> (spec, chunks)
        self._budget = SHARED_LINES     # lines the first reading may still keep

    def chunks(self, index: int, spec, rng):
        """The ``(times, lines)`` chunks of input item ``index`` (``spec``), as ``generate_chunks``."""
        key = (index, rng.getstate())
        kept = self._kept.pop(key, None)
        if kept is not None and kept[0] is spec:
            return iter(kept[1])
        lines = int(round(spec.rate * spec.duration))
        if lines > self._budget:
            return generate_chunks(spec, rng)
        self._budget -= lines
        return self._keep(key, spec, rng)

    def _keep(self, key, spec, rng):
        """``generate_chunks``, kept for the next reading once read to the end."""
        drawn = []
        for chunk in generate_chunks(spec, rng):
            drawn.append(chunk)
            yield chunk
        self._kept[key] = (spec, drawn)


def _item_rngs(scenario, rng) -> list:
    """A RNG per input item: generate items start where drawing them one after another would."""
    rngs = []
    generated = [i for i, item in enumerate(scenario.input) if hasattr(item, "generate")]
    for i, item in enumerate(scenario.input):
        if i not in generated:
            rngs.append(None)
            continue
        mine = random.Random()
        mine.setstate(rng.getstate())
        rngs.append(mine)
        if i != generated[-1]:
            for _ in generate_chunks(item.generate, rng, 1 << 16):     # advance the shared RNG past it
                pass
    return rngs


def input_rng(run_rng):
    """The input's own RNG, split from the run's RNG by its first draw (the ideal reference
    derives the same one from ``random.Random(seed)``, so both see the same generated lines)."""
    return random.Random(run_rng.random())


def _streams(scenario, rng, shared: SharedInput | None = None) -> dict:
    """``{(topic, partition): [stream, ...]}``: each partition's input items in scenario order;
    a stream iterates ``(times, values)`` chunks (a generate item's share is a :class:`_Fed`;
    ``shared``: where the run's other reading of generated lines keeps them)."""
    per_partition: dict[tuple[str, int], list] = {}
    rr: dict[str, int] = {}
    for index, (item, item_rng) in enumerate(zip(scenario.input, _item_rngs(scenario, rng))):
        if item_rng is not None:
            spec = item.generate
            n = scenario.kafka.topics[spec.topic].partitions      # the partitions that exist from the start
            count = int(round(spec.rate * spec.duration))
            first = rr.get(spec.topic, 0)
            chunks = shared.chunks(index, spec, item_rng) if shared is not None else generate_chunks(spec, item_rng)
            spread = _Spread(spec, chunks, n, first)
            for j in range(min(n, count)):
                p = (first + j) % n
                per_partition.setdefault((spec.topic, p), []).append(spread.partition(p))
            rr[spec.topic] = (first + count) % n
        elif hasattr(item, "transaction"):
            continue                                 # written live by InputProducers
        else:
            n = scenario.kafka.topics[item.topic].partitions
            if item.partition is not None:
                p = item.partition
            elif item.key is not None:
                p = crc32(item.key.encode()) % n
            else:
                p = rr.get(item.topic, 0)
                rr[item.topic] = (p + 1) % n
            per_partition.setdefault((item.topic, p), []).append([([item.at], [item.value])])
    return dict(sorted(per_partition.items()))


def partition_records(scenario, rng, shared: SharedInput | None = None) -> dict:
    """``{(topic, partition): (times, values)}``: every input record in its partition, in time
    order (ties: scenario order; ``shared``: as for :func:`write_inputs`)."""
    return {key: _merged([[x for chunk in s for x in zip(*chunk)] for s in streams])
            for key, streams in _streams(scenario, rng, shared).items()}


def stream_partitions(scenario, rng, shared: SharedInput | None = None) -> dict:
    """``{(topic, partition): iterator of (times, values) chunks}``: what :func:`partition_records`
    gives, produced lazily a chunk at a time (read the partitions of one item side by side, or its
    lines pile up)."""
    return {key: _merged_lazily(streams) for key, streams in _streams(scenario, rng, shared).items()}


def _merged_lazily(streams: list):
    """Several items' chunks as one partition's, by time, ties in item order (``heapq.merge`` is
    stable), as :func:`_merged` orders them; one item's chunks as they come."""
    if len(streams) == 1:
        yield from streams[0]
        return
    merged = heapq.merge(*[(x for chunk in s for x in zip(*chunk)) for s in streams], key=lambda r: r[0])
    while rows := list(islice(merged, CHUNK)):
        yield [r[0] for r in rows], [r[1] for r in rows]


def write_inputs(scenario, cluster, rng, lazy_topics, shared: SharedInput | None = None) -> None:
    """Write every input record into its partition, in time order (ties: scenario order;
    ``shared``: the generated lines of the run's reference, when it drew them, see :class:`SharedInput`).

    A partition of a topic in ``lazy_topics`` fed by a single ``generate`` item is fed lazily;
    others (several items, explicit records) are written at once, merged by time. The partitions
    of the topics the job's sources read are held from offset 0 (a start from ``earliest`` reads
    there) until checkpoints release them (:func:`trim_inputs`).
    """
    sources = {op.topic for op in scenario.job.operators if op.type == "kafka_source"}
    for topic in sources:
        for partition in cluster.topics[topic].partitions:
            partition.hold = 0
    for (topic, p), streams in _streams(scenario, rng, shared).items():
        partition = cluster.topics[topic].partitions[p]
        if len(streams) == 1 and isinstance(streams[0], _Fed) and topic in lazy_topics:
            partition.feed(streams[0])
        else:
            partition.preload_lists(*_merged([[x for chunk in s for x in zip(*chunk)] for s in streams]))


def _merged(items: list[list[tuple]]) -> tuple[list, list]:
    """(times, values) of several items' ``(time, value)`` records, by time, ties in item order."""
    if len(items) == 1:
        return [t for t, _ in items[0]], [v for _, v in items[0]]
    merged = sorted(((t, seq, k, v) for seq, records in enumerate(items) for k, (t, v) in enumerate(records)),
                    key=lambda e: (e[0], e[1], e[2]))
    return [e[0] for e in merged], [e[3] for e in merged]


def trim_inputs(cluster, plan, checkpoints) -> None:
    """Forget input records below every retained checkpoint's source offsets.

    A restore starts the sources from one of the retained checkpoints (``checkpoints``), never
    earlier, and the running sources are past them, so nothing below them is read again. A
    partition that a retained checkpoint does not cover is kept; consumers reading an input
    topic keep what they have not read yet (``Partition.release``).
    """
    if not checkpoints:
        return
    for spec in plan.tasks:
        head = spec.head
        if head.type != "kafka_source":
            continue
        states = [(cp.tasks[spec.name].state or {}).get(head.name) if spec.name in cp.tasks else None
                  for cp in checkpoints]
        for partition in cluster.topics[head.topic].partitions:
            offsets = [s.get(partition.index) if s else None for s in states]
            if None not in offsets:
                partition.hold = min(offsets)
                partition.release()


def committed_transaction_records(scenario) -> dict:
    """``{(topic, partition): [(time, offset, value), ...]}``: the records of ``transaction`` items
    that commit, with the offsets they get (records and control markers take offsets in time order;
    NOTE: a transaction the broker times out writes its abort marker at a scan, which this does not
    know, so a partition whose open transaction times out before a later one's records may see
    those offsets shifted by one -- they only name provenance in explanations)."""
    entries: dict = {}                       # (topic, partition) -> [(time, order, value or None, commits)]
    for i, item in enumerate(scenario.input):
        t = getattr(item, "transaction", None)
        if t is None:
            continue
        rows = entries.setdefault((t.topic, t.partition), [])
        commits = t.commit is not None
        rows += [(r.at, i, k, r.value, commits) for k, r in enumerate(t.records)]
        end = t.commit if commits else t.abort
        if end is not None:
            rows.append((end, i, len(t.records), None, False))       # the control marker
    out: dict = {}
    for key, rows in entries.items():
        rows.sort(key=lambda r: r[:3])
        out[key] = [(at, offset, value) for offset, (at, _, _, value, commits) in enumerate(rows)
                    if value is not None and commits]
    return out


class InputProducers:
    """The scenario's ``transaction`` items as producers writing live; ``pending`` counts the unfinished."""

    def __init__(self, env, scenario, cluster, trace, on_done) -> None:
        self.env, self.cluster, self.trace = env, cluster, trace
        self.on_done = on_done              # called when a producer finishes (a drained run may stop)
        self.pending = 0
        for i, item in enumerate(scenario.input):
            if hasattr(item, "transaction"):
                self.pending += 1
                env.process(self._produce(item.transaction, item.transaction.transactional_id or f"input-{i}"))

    def _produce(self, spec, tid: str):
        env, coord, trace = self.env, self.cluster.transactions, self.trace
        part = self.cluster.topics[spec.topic].partitions[spec.partition]
        yield env.timeout(spec.records[0].at)
        epoch, fenced = coord.init_producer(tid, spec.timeout, env.now)
        for old in fenced:
            trace.emit(env.now, "txn_abort", None, txn=old.id, records=old.records, cause=old.cause)
        txn = coord.begin(f"{tid}#{epoch}", tid, epoch, spec.timeout)
        trace.emit(env.now, "txn_begin", None, txn=txn.id, transactional_id=tid, epoch=epoch, implementation="producer")
        try:
            for rec in spec.records:
                yield env.timeout(rec.at - env.now)
                coord.write(txn, part, env.now)
                offset = part.append(env.now, rec.value, None, txn.id)
                trace.emit(env.now, "kafka_append", None, topic=part.topic, partition=part.index, offset=offset,
                           value=rec.value, txn=txn.id, origin=None)
            end = spec.commit if spec.commit is not None else spec.abort
            if end is not None:
                yield env.timeout(end - env.now)
                self._end(txn, spec.commit is not None)
        except KafkaError as exc:      # the broker aborted it on timeout: the producer is fenced
            trace.emit(env.now, "producer_fenced", None, transactional_id=tid, epoch=epoch, txn=txn.id,
                       checkpoint=None, error=str(exc), recovering=False)
        self.pending -= 1
        self.on_done()

    def _end(self, txn, commit: bool) -> None:
        now, coord, trace = self.env.now, self.cluster.transactions, self.trace
        if commit:
            coord.commit(txn, now, "committed by its producer")
            trace.emit(now, "txn_commit", None, txn=txn.id, checkpoint=None, records=txn.records,
                       cause="committed by its producer")
        elif coord.abort(txn, now, "aborted by its producer"):
            trace.emit(now, "txn_abort", None, txn=txn.id, records=txn.records, cause=txn.cause)
