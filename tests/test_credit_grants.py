"""Credits granted without a SimPy event (``StreamTask.send_on_credit``): when, and the same runs.

A receiver that frees a credit of a full channel wakes the blocked sender with an event; the
sender resumes after every other event of that instant. When nothing can tell the difference the
sender's send is made at once instead (no event). The guard is tested piece by piece on real
channels; then whole runs: below ``trace: full`` the shortcut is taken, at ``full`` never (the
trace records each send), so a control trace must be the full trace's control events, and the
summary counters the same, whatever the job does (checkpoints of every kind, crashes, flush timers).
"""
from __future__ import annotations

import os
from collections import deque
from types import SimpleNamespace

import pytest
import simpy
from hypothesis import given, settings, strategies as st

import sim
from sim import simulate
from sim.runtime.channel import Channel
from sim.runtime.task import IDLE, StreamTask


class Receiver:
    """The parts of a receiving task the channel reads."""

    def __init__(self, direct: bool = True, fast: bool = True) -> None:
        self.direct_credit = direct
        self.handler = SimpleNamespace(fast=fast)
        self.notified: list = []
        self.state = IDLE                  # a state that hears every notice (Channel.push)

    def notify(self, arrival: float) -> None:
        self.notified.append(arrival)


class Sender:
    """The parts of a sending task ``send_on_credit`` reads (the method is StreamTask's own)."""

    send_on_credit = StreamTask.send_on_credit

    def __init__(self, env, ready) -> None:
        self.env = env
        self.outputs = SimpleNamespace(ready=deque(ready))
        self.tally = [0, 0, 0]
        self.urgent = False
        self.dead = False


def full_channel(env, name: str, sender, receiver=None) -> Channel:
    """A channel of capacity 1 (latency 1 ms) holding one data buffer: full."""
    ch = Channel(env, SimpleNamespace(name=name, index=0, gate_index=0), 1.0, 1)
    ch.receiver = receiver or Receiver()
    ch.sender = sender
    ch.push([("queued", None)], True)
    return ch


def blocked(env, n_ready: int = 2, **receiver):
    """A sender blocked on channel a (full) with ``n_ready`` buffers ready: a, then b (also full)."""
    sender = Sender(env, [])
    a = full_channel(env, "a", sender, Receiver(**receiver))
    b = full_channel(env, "b", sender)
    sender.outputs.ready.extend([(a, [("x", None)]), (b, [("y", None)])][:n_ready])
    return sender, a, b, a.wait_credit()


def test_a_credit_is_granted_at_once_when_nothing_can_tell():
    env = simpy.Environment()
    sender, a, b, waiter = blocked(env)
    assert a.take() == [("queued", None)]
    # the sender sent x into a at once (arrival now + 1 ms), and waits on b with the same event
    assert [e[1] for e in a.queue] == [[("x", None)]] and a.queue[0][0] == 1.0
    assert a.n_data == 1 and sender.tally == [0, 0, 1]
    assert b.credit_waiter is waiter and a.credit_waiter is None and not waiter.triggered
    assert list(sender.outputs.ready) == [(b, [("y", None)])]


def test_a_channel_still_full_keeps_its_waiter_without_an_event():
    env = simpy.Environment()
    sender, a, b, waiter = blocked(env)
    a.restore([[("restored", None)]])          # in-flight data put back: more data than credits
    a.take()
    assert a.n_data == 1 and a.credit_waiter is waiter and not waiter.triggered and sender.tally == [0, 0, 0]


@pytest.mark.parametrize("case", ["other event now", "last ready buffer", "next channel has credit", "urgent",
                                  "dead", "receiver not direct", "handler aligning"])
def test_otherwise_the_sender_is_woken_by_an_event_and_nothing_is_sent(case):
    env = simpy.Environment()
    sender, a, b, waiter = blocked(env, n_ready=1 if case == "last ready buffer" else 2,
                                   direct=case != "receiver not direct", fast=case != "handler aligning")
    if case == "other event now":
        env.timeout(0)                         # another event of this instant would run before the sender
    elif case == "next channel has credit":
        b.take()
    elif case in ("urgent", "dead"):
        setattr(sender, case, True)
    ready = list(sender.outputs.ready)
    a.take()
    assert waiter.triggered and list(sender.outputs.ready) == ready and sender.tally == [0, 0, 0]
    assert not a.queue and a.credit_waiter is None


WORDCOUNT = """
kind: job
name: credits
seed: {seed}
kafka: {{topics: {{lines: {{partitions: 2}}, counts: {{partitions: 2}}}}}}
input:
  - generate: {{topic: lines, rate: 400/ms, duration: {duration}ms, words: [a, b, c, d, e, f], words_per_line: 5}}
job:
  parallelism: {parallelism}
  chaining: {chaining}
  operators:
    - {{name: source, type: kafka_source, implementation: FlinkKafkaConsumer, topic: lines, start_from: earliest}}
    - {{name: split, type: flat_map, function: split_words}}
    - {{name: count, type: keyed_sum}}
    - {{name: format, type: map, function: format_count}}
    - {{name: sink, type: kafka_sink, implementation: FlinkKafkaProducer, topic: counts, transaction_timeout: 1min}}
  network: {{latency: {latency}ms, buffer_size: {buffer_size}, buffer_timeout: {buffer_timeout}ms, capacity: {capacity}}}
  processing_time: {{default: {ptime}ms, count: {count_ptime}ms}}
checkpointing: {{interval: 2ms, {checkpoints}}}
restart: {{strategy: fixed_delay, delay: 1ms}}
faults: {faults}
consumers:
  - {{name: committed, topic: counts, isolation: read_committed}}
run: {{until: drained, max_time: 1s}}
"""

CHECKPOINTS = {"aligned": "alignment: block", "buffered": "alignment: buffer", "unaligned": "unaligned: true",
               "alternating": "unaligned: true, aligned_timeout: 0.5ms"}
BUSY = dict(seed=1, duration=1, parallelism=2, chaining="true", latency=1, buffer_size=1, buffer_timeout=0,
            capacity=8, ptime=0.02, count_ptime=0.02, checkpoints="aligned", faults="[]")


def wordcount(**kw) -> str:
    params = {**BUSY, **kw}
    params["checkpoints"] = CHECKPOINTS[params["checkpoints"]]
    return WORDCOUNT.format(**params)


def _control_part(trace, kinds) -> list:
    # NOTE: fields a full trace fills in and a control trace leaves None (buffer_persisted's values) are not compared
    return [{k: v for k, v in e.items() if k != "values"} for e in trace.events if e["kind"] in kinds]


def same_runs(text: str) -> tuple[int, int]:
    """Run at ``full`` and ``control``: the control trace is the full trace's control events and the
    counters agree; returns the SimPy events of each run."""
    scenario = sim.load_text(text)
    full = simulate(scenario, trace_level="full")
    control = simulate(scenario, trace_level="control")
    kinds = {e["kind"] for e in control.trace.events} - {"run_start", "summary"}
    assert _control_part(control.trace, kinds) == _control_part(full.trace, kinds)
    # every kind the control run counts, the record hops (tallied below full) included, is counted alike
    assert control.trace.counters == {k: full.trace.counters[k] for k in control.trace.counters}
    assert control.trace.counters["record_send"] > 0
    assert control.stats["record_hops"] == full.stats["record_hops"]
    return full.stats["events"], control.stats["events"]


def test_a_backpressured_run_saves_events_below_full_and_is_the_same_run():
    full, control = same_runs(wordcount())
    # 400 lines of 5 words (2 000 sends of one word) into two count tasks that take 3 x 0.02 ms a
    # word while a source splits a line in 0.04 ms: the sources wait for credits nearly always. A
    # grant needs its event only for a line's last word (then the source reads on) or when another
    # event shares the instant: at least a quarter of the sends go without one
    assert full - control >= 2000 // 4


@pytest.mark.parametrize("why, kw", [("no processing time", dict(ptime=0, count_ptime=0)),
                                      ("barriers may overtake", dict(checkpoints="alternating")),
                                      ("crash checks on records", dict(faults="[{task: count, on_record: 100000}]"))])
def test_no_grant_without_an_event_when_the_receiver_may_act_at_once(why, kw):
    full, control = same_runs(wordcount(**kw))
    assert control == full, why


#: generated word-count jobs (``wordcount``'s parameters): every kind of checkpoint, crashes, stalls, flush timers
JOBS = dict(seed=st.integers(1, 50), parallelism=st.sampled_from([1, 2, 3]),
            chaining=st.sampled_from(["true", "false"]),
            latency=st.sampled_from([0, 0.05, 1]), buffer_size=st.sampled_from([1, 2, 5]),
            buffer_timeout=st.sampled_from([0, 0.1]), capacity=st.sampled_from([1, 2, 8]),
            ptime=st.sampled_from([0, 0.01, 0.02]), count_ptime=st.sampled_from([0, 0.03]),
            checkpoints=st.sampled_from(sorted(CHECKPOINTS)),
            faults=st.sampled_from(["[]", "[{at: 1.3, crash: count}]", "[{at: 0.7, crash: split}]",
                                    "[{at: 0.5, stall: count, for: 0.4ms}]", "[{task: count, on_record: 300}]"]))


@settings(max_examples=int(os.environ.get("SNAPSIM_CREDIT_EXAMPLES", "12")), deadline=None, derandomize=True)
@given(**JOBS)
def test_any_job_is_the_same_run_at_full_and_below(**kw):
    same_runs(wordcount(duration=0.5, **kw))
