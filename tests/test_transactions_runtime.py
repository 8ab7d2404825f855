"""Kafka transactions inside runs: the timeout window, fencing of zombies, warnings, LSO."""
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
    - {{name: source, type: kafka_source, topic: in, start_from: earliest}}
    - {{name: split, type: flat_map, function: split_words}}
    - {{name: count, type: keyed_sum}}
    - {{name: format, type: map, function: format_count}}
    - {{name: sink, type: kafka_sink, topic: out, transaction_timeout: {timeout}ms}}
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


def test_old_transactions_warn_at_eighty_percent_of_their_timeout():
    text = HELLO.replace("transaction_timeout: 1min", "transaction_timeout: 1s").replace("interval: 1s", "interval: 900ms, initial_delay: 900ms")
    trace = run(load_text(text)).trace
    warn = trace.first("txn_warning")
    assert warn is not None and warn["age"] > 800 and warn["timeout"] == 1000


def test_read_committed_reader_waits_for_the_commit():
    trace = run(load_text(HELLO)).trace
    commit = trace.first("txn_commit")["t"]
    reads = [r for r in trace.of("consumer_read") if r["consumer"] == "committed"]
    assert reads and all(r["t"] >= commit for r in reads)
