"""Input produced lazily and trimmed: the same records as written at once, and nothing a restore needs is lost."""
from __future__ import annotations

import random
import sys

import pytest

import sim
from sim.kafka import KafkaCluster, Partition
from sim.runtime import inputs
from sim.runtime.inputs import SharedInput, generate_lines, write_inputs

TWO_ITEMS = """
kind: job
name: two-generators
seed: 5
kafka: {topics: {a: {partitions: 3}, b: {partitions: 2}, out: {partitions: 1}}}
input:
  - generate: {topic: a, rate: 7/ms, duration: 2000ms, words: [x, y, z], words_per_line: 2, key_skew: zipf}
  - {topic: b, at: 3, value: "early"}
  - generate: {topic: b, rate: 3/ms, duration: 3000ms, words: [p, q, r, s], words_per_line: 3}
  - generate: {topic: a, rate: 1/ms, duration: 500ms, start: 100ms, words: [u], words_per_line: 1}
job:
  operators:
    - {name: source, type: kafka_source, implementation: FlinkKafkaConsumer, topic: a}
    - {name: sink, type: kafka_sink, implementation: FlinkKafkaProducer, topic: out}
"""


def _cluster(scenario, lazy: bool, shared=None) -> KafkaCluster:
    cluster = KafkaCluster({n: t.total() for n, t in scenario.kafka.topics.items()}, 1e9, 1e9)
    write_inputs(scenario, cluster, random.Random(9), set(scenario.kafka.topics) if lazy else set(), shared)
    return cluster


def _written(scenario, lazy: bool, shared=None) -> dict:
    out = {}
    for name, topic in _cluster(scenario, lazy, shared).topics.items():
        for p in topic.partitions:
            p.ensure(p.end(float("inf")))            # a reader at the end of time: everything is stored
            out[(name, p.index)] = (list(p.times), list(p.values))
    return out


def test_lazy_input_writes_the_records_written_at_once():
    # Partitions fed by one generate item are produced in chunks, later; the others (a: two
    # generate items merged; b-0: an explicit record and a generator) are written at once. The
    # records, their times and their order must be the same either way, and each generate item
    # must draw what it drew when the items were drawn one after the other.
    scenario = sim.load_text(TWO_ITEMS)
    lazy, eager = _written(scenario, True), _written(scenario, False)
    assert lazy == eager
    # 9000 lines in b round-robin over 2 partitions, plus the explicit record in partition 0
    assert len(eager[("b", 0)][1]) + len(eager[("b", 1)][1]) == 9001
    # the high watermark of a lazily fed partition is computed, not stored: it must agree with
    # the stored records at every record's own time, just before it and just after it
    lazy_cluster, eager_cluster = _cluster(scenario, True), _cluster(scenario, False)
    for name in ("a", "b"):
        for lazy_p, eager_p in zip(lazy_cluster.topics[name].partitions, eager_cluster.topics[name].partitions):
            probes = [t + d for t in eager_p.times[::97] + eager_p.times[-3:] for d in (-1e-9, 0.0, 1e-9)]
            assert [lazy_p.end(t) for t in probes] == [eager_p.end(t) for t in probes]
            assert lazy_p.end(-1.0) == 0 and lazy_p.lso() == len(eager_p.values)
    times, lines = generate_lines(scenario.input[2].generate, random.Random(0))
    assert len(lines) == 9000 and times[1] - times[0] == pytest.approx(1 / 3)


def _counting(monkeypatch) -> list:
    """Count the chunk generators made (one per generate item drawn, plus the advance of the
    shared RNG past every item but the last)."""
    made, real = [], inputs.generate_chunks

    def counted(spec, rng, chunk=inputs.CHUNK):
        made.append(spec)
        return real(spec, rng, chunk)
    monkeypatch.setattr(inputs, "generate_chunks", counted)
    return made


@pytest.mark.parametrize("lazy", [True, False])
def test_a_shared_input_draws_each_item_once_for_two_readings(lazy, monkeypatch):
    # Two readings of TWO_ITEMS with one SharedInput (as sim.run's reference and simulation):
    # both write what a reading without it writes; the second takes the first's chunks. Drawn:
    # the first reading draws 3 items plus 2 advances of the shared RNG (past items 0 and 2,
    # not past the last), the second only the 2 advances; a third reading draws them all again.
    scenario = sim.load_text(TWO_ITEMS)
    plain = _written(scenario, lazy)
    made = _counting(monkeypatch)
    shared = SharedInput()
    assert _written(scenario, lazy, shared) == plain and len(made) == 5
    assert _written(scenario, lazy, shared) == plain and len(made) == 7
    assert _written(scenario, lazy, shared) == plain and len(made) == 12
    # items longer than SHARED_LINES (14 000, 9 000 and 500 lines here) are not kept
    monkeypatch.setattr(inputs, "SHARED_LINES", 1000)
    made.clear()
    shared = SharedInput()
    assert _written(scenario, lazy, shared) == plain and len(made) == 5
    assert _written(scenario, lazy, shared) == plain and len(made) == 5 + 4
    # SHARED_LINES bounds the lines kept for the whole run, not per item: with 10 000, item 0
    # (14 000) is drawn twice, item 1 (9 000) is kept and leaves 1 000, item 2 (500) fits in
    # them; the second reading draws item 0 and the 2 advances again (3)
    monkeypatch.setattr(inputs, "SHARED_LINES", 10_000)
    made.clear()
    shared = SharedInput()
    assert _written(scenario, lazy, shared) == plain and len(made) == 5
    assert _written(scenario, lazy, shared) == plain and len(made) == 5 + 3
    # ... and with 9 400, item 2 no longer fits once item 1 is kept: 2 items drawn again
    monkeypatch.setattr(inputs, "SHARED_LINES", 9_400)
    made.clear()
    shared = SharedInput()
    assert _written(scenario, lazy, shared) == plain and len(made) == 5
    assert _written(scenario, lazy, shared) == plain and len(made) == 5 + 4


def test_a_shared_input_keeps_only_items_read_to_their_end(monkeypatch):
    # an item read in part by the first reading (one chunk of CHUNK = 4096 lines of 9 000) is
    # drawn again by the second, which gets the same lines; one read to its end is kept
    spec = sim.load_text(TWO_ITEMS).input[2].generate
    rng = lambda: random.Random(4)
    whole = list(inputs.generate_chunks(spec, rng()))
    made = _counting(monkeypatch)
    shared = SharedInput()
    assert next(shared.chunks(2, spec, rng())) == whole[0]
    assert list(shared.chunks(2, spec, rng())) == whole and len(made) == 2
    assert list(shared.chunks(2, spec, rng())) == whole and len(made) == 2       # kept by the second
    assert list(shared.chunks(2, spec, random.Random(5))) != whole and len(made) == 3     # another state


def test_sim_run_draws_the_input_once_for_reference_and_simulation(monkeypatch):
    # the workload's one generate item (4 000 lines): drawn once by a run that computes its
    # reference, and the verdict is the one of a run whose reference drew it again
    scenario = sim.load_scenario("benchmarks/workload.yaml", overrides=["job.network.buffer_size=100"])
    apart = sim.run(scenario, reference=sim.ideal_reference(scenario, summary=True))
    made = _counting(monkeypatch)
    once = sim.run(scenario)
    assert len(made) == 1 and once.ok and apart.ok
    summary = [e for e in once.trace.events if e["kind"] == "consumer_summary"]
    assert summary == [e for e in apart.trace.events if e["kind"] == "consumer_summary"]


CRASH = """
kind: job
name: crash-after-trimmed-input
seed: 3
kafka: {topics: {lines: {partitions: 2}, counts: {partitions: 2}}}
input:
  - generate: {topic: lines, rate: 20/ms, duration: 1000ms, words: [a, b, c, d, e], words_per_line: 4}
job:
  parallelism: 2
  operators:
    - {name: source, type: kafka_source, implementation: FlinkKafkaConsumer, topic: lines, start_from: earliest}
    - {name: split, type: flat_map, function: split_words}
    - {name: count, type: keyed_sum}
    - {name: format, type: map, function: format_count}
    - {name: sink, type: kafka_sink, implementation: FlinkKafkaProducer, topic: counts, transaction_timeout: 1min}
  network: {buffer_size: 50}
  processing_time: {default: 0.001ms}
checkpointing: {interval: 100ms}
restart: {strategy: fixed_delay, delay: 50ms}
faults:
  - {at: 640ms, crash: "count[0]"}
consumers:
  - {name: committed, topic: counts, isolation: read_committed}
"""


@pytest.mark.parametrize("level", ["summary", "control"])
def test_a_restore_after_the_input_was_trimmed_reads_it_again(level, monkeypatch):
    # 20 000 lines of 4 words, produced in chunks of 4 096 and trimmed below every completed
    # checkpoint; the crash at 640 ms restores the checkpoint of about 600 ms, whose source
    # offsets are exactly where trimming stopped. Exactly-once holds only if every record from
    # those offsets on is still there: the committed reader then reads 80 000 values, each once.
    stored, taken = _peak_stored(monkeypatch)
    run = sim.run(sim.load_text(CRASH, overrides=[f"run.trace={level}"]))
    assert run.report["restarts"] == 1
    assert run.report["exactly_once"]["ok"], run.report["exactly_once"]["explanation"]
    assert run.report["consumer_counts"]["committed"] == 80_000
    # Trimming did happen, although the sources listen to their partitions: each partition gets
    # 10 000 lines (10 a ms), produced in shares of 2 048 (a chunk of 4 096 dealt to 2 partitions);
    # a checkpoint every 100 ms releases what lies below it, so a partition stores at most about
    # one chunk plus the ~1 000 lines read since the last completed checkpoint: under 2 chunks.
    assert {("lines", 0), ("lines", 1)} <= set(stored)
    assert all(2048 <= stored[("lines", p)] < 4096 for p in (0, 1)), stored
    # The output topic forgets what every reader has read, at every trace level: its records wait
    # for the commit at the next completed checkpoint, so a partition holds about two 100 ms
    # intervals of the ~1 000 ms of writes (20 %), never the whole run (every offset, markers too).
    assert all(stored[("counts", p)] < taken[("counts", p)] / 4 for p in (0, 1)), (stored, taken)


def _peak_stored(monkeypatch) -> tuple[dict, dict]:
    """``{(topic, partition): most entries stored at once}`` while a run writes (ahead of time or
    live), and ``{(topic, partition): offsets taken}`` (what was ever written there)."""
    peak: dict = {}
    taken: dict = {}
    preload, append_many = Partition.preload_lists, Partition.append_many

    def note(p) -> None:
        peak[(p.topic, p.index)] = max(peak.get((p.topic, p.index), 0), len(p.values))
        taken[(p.topic, p.index)] = p.base + len(p.values)

    def preloading(self, times, values):
        preload(self, times, values)
        note(self)

    def appending(self, *args, **kwargs):
        offset = append_many(self, *args, **kwargs)
        note(self)
        return offset
    monkeypatch.setattr(Partition, "preload_lists", preloading)
    monkeypatch.setattr(Partition, "append_many", appending)
    return peak, taken


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 16, 256, 300])
def test_word_draws_are_the_top_bits_of_32_bit_words(n):
    # the rule (docstring of _indexes): draw i is (x_i * n) >> 32, x_i the i-th native 32-bit word of
    # randbytes(4 * size) -- whichever way it is computed (powers of two take a byte-level path)
    from sim.runtime.inputs import _indexes
    raw = random.Random(11).randbytes(4 * 1000)
    words = [int.from_bytes(raw[4 * i:4 * i + 4], sys.byteorder) for i in range(1000)]
    expected = [(x * n) >> 32 for x in words]
    assert list(_indexes(random.Random(11), n, 1000)) == expected


@pytest.mark.parametrize("size", [1, 2, 3, 4, 8, 16, 32])
@pytest.mark.parametrize("per_line", [1, 2, 3, 4, 5, 7])
def test_generated_lines_are_the_drawn_words_joined_by_spaces(size, per_line):
    # the rule: line j is " ".join of words[indexes[j * k + i]] for i < k (k words per line),
    # whichever way the lines are made (vocabularies of 2..16 words pair neighbouring words);
    # words with spaces and an empty word keep the joins' spaces where they are
    from sim.runtime.inputs import _indexes, _lines
    words = ["", "a b", *(f"w{i}" for i in range(2, size))][:size]
    for lines in (1, 3, 1000):
        indexes = _indexes(random.Random(size * 10 + per_line), size, lines * per_line)
        expected = [" ".join(words[i] for i in indexes[j * per_line:(j + 1) * per_line]) for j in range(lines)]
        assert _lines(words, indexes, per_line) == expected
