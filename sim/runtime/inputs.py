"""The scenario's input records, written to the input topics at their times.

Explicit records go to their partition (or one chosen by key, or round-robin); ``generate``
items produce lines of words at a rate, drawn from the run's RNG (uniform or Zipf-skewed words).
Records are written ahead of time with their append times: readers only see them once that
time has come, so the producer costs no simulated events.
"""
from __future__ import annotations

from zlib import crc32

__all__ = ["preload_inputs", "generate_lines"]


def generate_lines(spec, rng) -> list[tuple[float, str]]:
    """(time, line) pairs of a ``generate`` item."""
    words = spec.words
    if spec.key_skew == "zipf":
        weights = [1.0 / (i + 1) for i in range(len(words))]
    else:
        weights = None
    count = int(round(spec.rate * spec.duration))
    step = 1.0 / spec.rate
    k = spec.words_per_line
    if weights is None:
        drawn = [words[i] for i in _indexes(rng, len(words), count * k)]
    else:
        drawn = rng.choices(words, weights, k=count * k)
    return [(spec.start + i * step, " ".join(drawn[i * k:(i + 1) * k])) for i in range(count)]


def _indexes(rng, n: int, size: int) -> list[int]:
    """``size`` uniform draws from range(n), fast: 32 random bits per draw, drawn in one call."""
    bits = memoryview(rng.randbytes(4 * size)).cast("I")
    return [(x * n) >> 32 for x in bits]


def preload_inputs(scenario, cluster, rng) -> None:
    per_partition: dict[tuple[str, int], list] = {}
    rr: dict[str, int] = {}
    seq = 0
    for item in scenario.input:
        if hasattr(item, "generate"):
            spec = item.generate
            n = len(cluster.topics[spec.topic].partitions)
            for t, line in generate_lines(spec, rng):
                p = rr.get(spec.topic, 0)
                rr[spec.topic] = (p + 1) % n
                per_partition.setdefault((spec.topic, p), []).append((t, seq, line))
                seq += 1
        else:
            n = len(cluster.topics[item.topic].partitions)
            if item.partition is not None:
                p = item.partition
            elif item.key is not None:
                p = crc32(item.key.encode()) % n
            else:
                p = rr.get(item.topic, 0)
                rr[item.topic] = (p + 1) % n
            per_partition.setdefault((item.topic, p), []).append((item.at, seq, item.value))
            seq += 1
    for (topic, p), entries in sorted(per_partition.items()):
        if any(a[:2] > b[:2] for a, b in zip(entries, entries[1:])):
            entries.sort()
        cluster.topics[topic].partitions[p].preload((t, v, None) for t, _, v in entries)
