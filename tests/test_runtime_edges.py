"""Runtime edge cases a reviewer found: a second cancel, a fault on a task that no longer exists, the attempt's count
of busy tasks (its quiescence), each pinned with values worked out from the scenario and the rule."""
from sim import load_text, run

DOUBLE_CANCEL = """\
kind: job
name: double-cancel
seed: 1
kafka: {topics: {lines: {partitions: 2}, out: {partitions: 1}}}
input:
  - {topic: lines, at: 100, value: a}
job:
  parallelism: 2
  operators:
    - {name: source, type: kafka_source, topic: lines}
    - {name: sink, type: kafka_sink, topic: out, transaction_timeout: 1min}
checkpointing: {interval: 100ms, initial_delay: 100ms}
restart: {strategy: fixed_delay, delay: 200ms}
faults:
  - {at: 150, crash: "sink[1]"}
lifecycle:
  - {at: 200, cancel: true}
consumers:
  - {name: committed, topic: out, isolation: read_committed}
"""


def test_cancelling_a_job_while_a_region_is_down_cancels_each_task_once():
    # sink[1] crashes at 150 ms: its region (source->sink[1], the chain of subtask 1) is cancelled and would be
    # redeployed at 150 + 200 = 350 ms. The job cancel at 200 ms cancels every task; the region's task is already
    # cancelled, so that is a no-op (Flink: Execution.cancel() on a CANCELED execution returns). The job ends
    # cancelled with no restart (restarts 0); sink[0]'s transaction #1 (record "a", read just after checkpoint 1's
    # barrier at 100 ms) is left open by the cancel, so the broker aborts it on its 1 min timeout: "a" is lost.
    r = run(load_text(DOUBLE_CANCEL))
    kinds = [e["kind"] for e in r.trace]
    assert r.trace.first("job_cancelled")["t"] == 200.0
    assert r.trace.first("job_cancelled")["open_transactions"] == ["sink[0]#1"]
    assert "job_restart" not in kinds
    assert r.trace.first("run_end")["reason"] == "cancelled" and r.trace.first("run_end")["restarts"] == 0
    assert not r.report["exactly_once"]["ok"]          # cancel leaves the transaction open: an honest loss


def test_a_timed_fault_on_a_subtask_gone_after_a_rescale_has_no_effect_and_says_why():
    # parallelism 2 until the stop-with-savepoint at 400 ms; resubmitted at 600 ms with parallelism 1, the job has
    # only source->sink[0] at 800 ms, so "crash sink[1]" has no task to hit: the trace says so, the run goes on
    # (no failover: restarts 0) and record "a" (read at 100 ms, committed by sp's stop) is exactly once.
    text = DOUBLE_CANCEL.replace("name: double-cancel", "name: fault-after-rescale").replace(
        "restart: {strategy: fixed_delay, delay: 200ms}\n", "").replace("{at: 150, crash", "{at: 800, crash").replace(
        "  - {at: 200, cancel: true}\n",
        "  - {at: 400, stop: {savepoint: sp}}\n  - {at: 600, submit: {from: sp, parallelism: 1}}\n")
    r = run(load_text(text))
    fault = r.trace.first("fault_injected")
    assert (fault["t"], fault.get("task"), fault["fault"]) == (800.0, None, "crash sink[1] at 800")
    assert fault["detail"] == "no effect: the running job has no task sink[1] (parallelism 1)"
    assert r.trace.first("task_crash") is None and r.report["restarts"] == 0
    assert r.report["ok"] and r.report["exactly_once"]["ok"]

