"""The scenario's input records, written to the input topics at their times.

Explicit records go to their partition (or one chosen by key, or round-robin); ``generate``
items produce lines of words at a rate, drawn from the run's RNG (uniform or Zipf-skewed words).
Records are written ahead of time with their append times: readers only see them once that
time has come, so the producer costs no simulated events.

``transaction`` items are an upstream transactional producer (another Flink job's sink, say): a
SimPy process writes their records at their times into one Kafka transaction, then commits or
aborts it -- or leaves it open until the broker's timeout aborts it. Read_uncommitted readers
see the records at once, also those of a transaction that is later aborted (SEMANTICS 4, 6).
"""
from __future__ import annotations

from zlib import crc32

from ..kafka.transactions import KafkaError

__all__ = ["preload_inputs", "generate_lines", "partition_records", "input_rng", "InputProducers",
           "committed_transaction_records"]


def generate_lines(spec, rng) -> tuple[list[float], list[str]]:
    """(times, lines) of a ``generate`` item: lines of ``words_per_line`` words at ``rate``."""
    words, k = spec.words, spec.words_per_line
    count = int(round(spec.rate * spec.duration))
    if spec.key_skew == "zipf":
        drawn = rng.choices(words, [1.0 / (i + 1) for i in range(len(words))], k=count * k)
    else:
        drawn = [words[i] for i in _indexes(rng, len(words), count * k)]
    groups = zip(*[iter(drawn)] * k)
    step, start = 1.0 / spec.rate, spec.start
    return [start + i * step for i in range(count)], [" ".join(g) for g in groups]


def _indexes(rng, n: int, size: int) -> list[int]:
    """``size`` uniform draws from range(n), fast: 32 random bits per draw, drawn in one call."""
    bits = memoryview(rng.randbytes(4 * size)).cast("I")
    return [(x * n) >> 32 for x in bits]


def input_rng(run_rng):
    """The input's own RNG, split from the run's RNG by its first draw (the ideal reference
    derives the same one from ``random.Random(seed)``, so both see the same generated lines)."""
    import random
    return random.Random(run_rng.random())


def partition_records(scenario, rng) -> dict:
    """``{(topic, partition): (times, values)}``: every input record in its partition, in time
    order (ties: scenario order)."""
    per_partition: dict[tuple[str, int], list] = {}    # -> [(times, values), ...] in scenario order
    rr: dict[str, int] = {}
    for item in scenario.input:
        if hasattr(item, "generate"):
            spec = item.generate
            n = scenario.kafka.topics[spec.topic].partitions      # the partitions that exist from the start
            times, lines = generate_lines(spec, rng)
            first = rr.get(spec.topic, 0)
            for j in range(min(n, len(lines))):
                p = (first + j) % n
                per_partition.setdefault((spec.topic, p), []).append((times[j::n], lines[j::n]))
            rr[spec.topic] = (first + len(lines)) % n
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
            per_partition.setdefault((item.topic, p), []).append(([item.at], [item.value]))
    out = {}
    for (topic, p), chunks in sorted(per_partition.items()):
        if len(chunks) == 1:
            out[topic, p] = chunks[0]
        else:
            merged = sorted(((t, seq, k, v) for seq, (ts, vs) in enumerate(chunks) for k, (t, v) in
                             enumerate(zip(ts, vs))), key=lambda e: (e[0], e[1], e[2]))
            out[topic, p] = [e[0] for e in merged], [e[3] for e in merged]
    return out


def preload_inputs(scenario, cluster, rng) -> None:
    """Write every input record into its partition, in time order (ties: scenario order)."""
    for (topic, p), (times, values) in partition_records(scenario, rng).items():
        cluster.topics[topic].partitions[p].preload_lists(times, values)


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
