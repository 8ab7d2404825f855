"""The scenario's input records, written to the input topics at their times.

Explicit records go to their partition (or one chosen by key, or round-robin); ``generate``
items produce lines of words at a rate, drawn from the run's RNG (uniform or Zipf-skewed words).
Records are written ahead of time with their append times: readers only see them once that
time has come, so the producer costs no simulated events.
"""
from __future__ import annotations

from zlib import crc32

__all__ = ["preload_inputs", "generate_lines", "partition_records", "input_rng"]


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
