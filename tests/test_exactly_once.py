"""End-to-end exactly-once under crashes anywhere (Hypothesis), and where it breaks."""
import random

from hypothesis import HealthCheck, Phase, find, given, settings, strategies as st

from sim import load_text, run


# bursts into partition 0 give split[0] a backlog: its barriers fall behind those of split[1]
BURSTS = "".join(f"  - {{topic: in, partition: 0, at: {t}, value: 'a hello'}}\n" for t in (100, 220, 340) for _ in range(30))
TASKS = ["source", "split", "count", "format", "sink"]


def job(parallelism, interval, crash_at, crash_task, seed, mode="exactly_once", lines=40, source_par=2, chaining=True):
    return f"""
name: prop
seed: {seed}
kafka: {{topics: {{in: {{partitions: 2}}, out: {{partitions: 2}}}}}}
input:
  - {{topic: in, at: 0, value: "hello world hello"}}
  - generate: {{topic: in, rate: 100/s, duration: {lines * 10}ms, start: 5ms, words: [hello, world, a, b], words_per_line: 2}}
{BURSTS}job:
  parallelism: {parallelism}
  chaining: {str(chaining).lower()}
  operators:
    - {{name: source, type: kafka_source, implementation: FlinkKafkaConsumer, topic: in, parallelism: {source_par}, start_from: earliest}}
    - {{name: split, type: flat_map, function: split_words}}
    - {{name: count, type: keyed_sum}}
    - {{name: format, type: map, function: format_count}}
    - {{name: sink, type: kafka_sink, implementation: FlinkKafkaProducer, topic: out, transaction_timeout: 1min}}
  processing_time: {{default: 0.2ms, split: 3ms}}
checkpointing: {{interval: {interval}ms, mode: {mode}}}
restart: {{strategy: fixed_delay, delay: 50ms}}
faults:
  - {{at: {crash_at}, crash: "{crash_task}"}}
consumers:
  - {{name: committed, topic: out, isolation: read_committed}}
"""


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parallelism=st.integers(1, 3), interval=st.integers(20, 150), crash_at=st.integers(1, 450),
       task=st.sampled_from(TASKS), seed=st.integers(0, 1000))
def test_crashes_anywhere_leave_committed_output_exactly_once(parallelism, interval, crash_at, task, seed):
    r = run(load_text(job(parallelism, interval, crash_at, task, seed)))
    assert r.report["exactly_once"]["ok"], r.report["exactly_once"]["explanation"]
    assert r.report["restarts"] == 1


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(crash_at=st.integers(1, 400), seed=st.integers(0, 1000), interval=st.integers(20, 150))
def test_hello_world_crash_anywhere(crash_at, seed, interval):
    text = f"""
name: hw
seed: {seed}
kafka: {{topics: {{in: {{partitions: 1}}, out: {{partitions: 1}}}}}}
input:
  - {{topic: in, at: 100, value: hello}}
  - {{topic: in, at: 200, value: world}}
  - {{topic: in, at: 300, value: hello}}
job:
  parallelism: 2
  operators:
    - {{name: source, type: kafka_source, implementation: FlinkKafkaConsumer, topic: in, parallelism: 1, start_from: earliest}}
    - {{name: split, type: flat_map, function: split_words, parallelism: 1}}
    - {{name: count, type: keyed_sum}}
    - {{name: format, type: map, function: format_count}}
    - {{name: sink, type: kafka_sink, implementation: FlinkKafkaProducer, topic: out, transaction_timeout: 1min}}
checkpointing: {{interval: {interval}ms}}
faults:
  - {{at: {crash_at}, crash: count}}
consumers:
  - {{name: committed, topic: out, isolation: read_committed}}
"""
    r = run(load_text(text))
    assert r.report["final_counts"] == {"hello": 2, "world": 1}
    assert sorted(r.report["consumers"]["committed"]) == ["hello:::1", "hello:::2", "world:::1"]


def test_the_same_search_finds_over_counts_in_at_least_once_mode_after_a_shuffle():
    def overcounts(args):
        crash_at, interval, seed = args
        # chaining off: split's backlog must wait in its input channel, delaying its barrier
        r = run(load_text(job(2, interval, crash_at, "sink", seed, mode="at_least_once", chaining=False)))
        return bool(r.report["exactly_once"]["overcounted"])

    found = find(st.tuples(st.integers(1, 450), st.integers(20, 150), st.integers(0, 1000)), overcounts,
                 settings=settings(max_examples=300, deadline=None, database=None,
                                   phases=[Phase.generate]),  # no shrinking: any example will do
                 random=random.Random(418))
    crash_at, interval, seed = found
    r = run(load_text(job(2, interval, crash_at, "sink", seed, mode="at_least_once", chaining=False)))
    assert r.report["exactly_once"]["overcounted"]
    assert "over-count" in r.report["exactly_once"]["explanation"][0]


def test_without_a_shuffle_at_least_once_stays_exactly_once():
    # forward channels only (parallelism 1 throughout): every task has one input channel
    for crash_at in range(20, 450, 37):
        r = run(load_text(job(1, 60, crash_at, "sink", 3, mode="at_least_once", source_par=1)))
        assert r.report["exactly_once"]["ok"], (crash_at, r.report["exactly_once"]["explanation"])
