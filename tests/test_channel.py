"""The data path reads SimPy's clock as ``env._now`` (no property call per buffer): it must be ``env.now``.

``Channel.push``, the task loop's poll, ``StreamTask.wait``, ``send_on_credit``, the Kafka source's
poll and the exactly-once sink's one-record write read ``env._now`` (see the NOTE in
``Channel.push``). These tests pin that attribute against SimPy's public ``now`` at every step of
runs of both environments the engine makes, and a channel's arrival times against the rule
``max(now + latency, last arrival)`` worked out with ``env.now``.
"""
from __future__ import annotations

import simpy
from hypothesis import given, settings, strategies as st

from sim.runtime.channel import Channel
from sim.runtime.engine import _InstantEnvironment
from sim.runtime.task import BUSY

DELAYS = st.lists(st.floats(min_value=0.0, max_value=50.0, allow_nan=False), min_size=1, max_size=30)


def _watch(env, delays: list, seen: list):
    for delay in delays:
        seen.append((env._now, env.now))
        yield env.timeout(delay)
        seen.append((env._now, env.now))


@settings(max_examples=30, deadline=None)
@given(DELAYS, DELAYS, st.booleans())
def test_private_clock_is_now_at_every_step(a, b, instant):
    env = _InstantEnvironment(set()) if instant else simpy.Environment()
    seen: list = []
    env.process(_watch(env, a, seen))
    env.process(_watch(env, b, seen))
    env.run()
    assert len(seen) == 2 * (len(a) + len(b))
    assert all(private is public for private, public in seen)
    assert env._now == env.now == max(sum(a), sum(b))


class _Busy:
    """A receiver that is always busy (a push never wakes it)."""

    state = BUSY


@settings(max_examples=30, deadline=None)
@given(DELAYS, st.floats(min_value=0.0, max_value=10.0, allow_nan=False))
def test_push_arrival_follows_the_fifo_rule(delays, latency):
    env = simpy.Environment()
    spec = type("Spec", (), {"name": "a->b", "index": 0, "gate_index": 0})()
    ch = Channel(env, spec, latency, capacity=len(delays) + 1)
    ch.receiver = _Busy()
    got, want = [], []

    def sender():
        last = 0.0
        for delay in delays:
            yield env.timeout(delay)
            # the rule: arrival = max(now + latency, the last arrival) (FIFO channel)
            last = max(env.now + latency, last)
            want.append(last)
            got.append(ch.push([delay], True))

    env.process(sender())
    env.run()
    assert got == want
    assert [entry[0] for entry in ch.queue] == want and ch.n_data == len(delays)
