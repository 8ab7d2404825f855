"""Kafka transactions inside runs: the timeout window, fencing of zombies, warnings, LSO."""
import pytest
from hypothesis import given, settings, strategies as st

from sim import load_text, run, simulate

from .conftest import HELLO


def timeout_job(first_write, timeout, scan):
    return f"""
name: window
kafka:
  abort_scan_interval: {scan}ms
  topics: {{in: {{partitions: 1}}, out: {{partitions: 1}}}}
input:
  - {{topic: in, at: {first_write}, value: hello}}
job:
  parallelism: 1
  operators:
    - {{name: source, type: kafka_source, implementation: FlinkKafkaConsumer, topic: in, start_from: earliest}}
    - {{name: split, type: flat_map, function: split_words}}
    - {{name: count, type: keyed_sum}}
    - {{name: format, type: map, function: format_count}}
    - {{name: sink, type: kafka_sink, implementation: FlinkKafkaProducer, topic: out, transaction_timeout: {timeout}ms}}
  network: {{latency: 0}}
  processing_time: {{default: 0}}
checkpointing: {{interval: 1h}}
run: {{until: {first_write + timeout + 2 * scan}ms}}
"""


@settings(max_examples=60, deadline=None)
@given(first_write=st.integers(0, 5000), timeout=st.integers(1, 5000), scan=st.integers(1, 3000))
def test_the_broker_aborts_within_timeout_and_timeout_plus_scan_interval(first_write, timeout, scan):
    trace = simulate(load_text(timeout_job(first_write, timeout, scan))).trace
    aborted = trace.of("txn_timeout")
    assert len(aborted) == 1
    age = aborted[0]["t"] - first_write
    assert timeout < age <= timeout + scan


def test_a_restarted_sink_aborts_the_zombie_transaction_and_bumps_epochs():
    # checkpoint 1 (150 ms) pre-commits T1 under id sink-0-0 and opens T2 under sink-0-1; T1 is
    # committed; the sink crashes at 250 with T2 open. The restore aborts T2 (open at snapshot
    # time) and re-initialises sink-0-0: epoch 1.
    text = HELLO.replace("interval: 1s", "interval: 150ms, initial_delay: 150ms") + \
        "faults:\n  - {at: 250, crash: sink}\n"
    trace = run(load_text(text)).trace
    begins = trace.of("txn_begin")
    assert [(b["txn"], b["transactional_id"], b["epoch"]) for b in begins[:3]] == [
        ("sink[0]#1", "sink-0-0", 0), ("sink[0]#2", "sink-0-1", 0), ("sink[0]#3", "sink-0-0", 1)]
    abort = trace.first("txn_abort", txn="sink[0]#2")
    assert abort["t"] == trace.first("job_restart")["t"] and "open at snapshot time" in abort["cause"]


def test_old_transactions_warn_at_commit_counted_from_when_they_were_opened():
    # docs/connectors.md: timeout 1 s, warning above 800 ms. Transaction #1 is opened at deployment (0 ms),
    # first written at ~101 ms (hello@100). Checkpoint 1 at 850 ms pre-commits it (no warning at
    # pre-commit) and commits it at completion (~855 ms): 855 ms after it was opened -> one warning.
    # Counted from the first write it would be ~754 ms: no warning.
    text = HELLO.replace("transaction_timeout: 1min", "transaction_timeout: 1s") \
        .replace("interval: 1s", "interval: 850ms, initial_delay: 850ms")
    trace = run(load_text(text)).trace
    warnings = [w for w in trace.of("txn_warning") if w["txn"] == "sink[0]#1"]
    commit = trace.first("txn_commit", txn="sink[0]#1")
    assert len(warnings) == 1 and warnings[0]["t"] == commit["t"]
    assert trace.first("txn_begin", txn="sink[0]#1")["t"] == 0
    assert warnings[0]["age"] == pytest.approx(commit["t"])
    assert warnings[0]["timeout"] == 1000 and 850 < warnings[0]["age"] < 860


def test_a_failed_commit_in_notify_does_not_stop_the_other_pending_commits():
    # docs/connectors.md (FlinkKafkaProducer / TwoPhaseCommitSinkFunction): the sink pre-commits #1 for
    # checkpoint 1 (at 200 ms), then its upload fails: 1 is declined (one tolerated) and #1 stays
    # pending. #1 (first write ~101 ms) is aborted by the broker's scan at 1200 ms (1099 ms > 1 s).
    # world@1100 goes into #2, pre-committed by checkpoint 2 at 1400 ms. notify(2) tries #1 (fails:
    # aborted), still commits #2, and only then fails the task.
    text = HELLO.replace("transaction_timeout: 1min", "transaction_timeout: 1s") \
        .replace("interval: 1s", "interval: 1200ms, initial_delay: 200ms, tolerable_failures: 1") \
        .replace("kafka: {topics", "kafka: {abort_scan_interval: 100ms, topics") \
        .replace("{topic: in, at: 200, value: world}", "{topic: in, at: 1100, value: world}") \
        .replace("  - {topic: in, at: 300, value: hello}\n", "") + \
        "restart: {strategy: fixed_delay, delay: 100ms}\nfaults:\n  - {task: sink, decline: 1, phase: async}\n"
    trace = run(load_text(text)).trace
    timeout = trace.first("txn_timeout", txn="sink[0]#1")
    assert timeout is not None and timeout["t"] == 1200
    fenced = trace.first("producer_fenced", txn="sink[0]#1")
    commit = trace.first("txn_commit", txn="sink[0]#2")
    crash = trace.first("task_crash")
    assert commit["checkpoint"] == 2 and commit["cause"] == "checkpoint 2 completed"
    assert fenced["t"] == commit["t"] == crash["t"] and crash["task"] == "count->format->sink[0]"
    assert "commit of sink[0]#1 (checkpoint 1) failed" in crash["reason"]


def test_read_committed_reader_waits_for_the_commit():
    trace = run(load_text(HELLO)).trace
    commit = trace.first("txn_commit")["t"]
    reads = [r for r in trace.of("consumer_read") if r["consumer"] == "committed"]
    assert reads and all(r["t"] >= commit for r in reads)
