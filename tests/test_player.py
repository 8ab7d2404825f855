"""The notebook player (issue 19): stepping, the state panel, the widget and the fallback animation.

The instants come from hello_world_crash: checkpoint 1 at 150 ms, its barrier reaches split at
151 and count at 152 (latency 1 ms); split crashes at 291.1 on its third record; the restart
delay is 200 ms (attempt 2 at 491.1).
"""
import html
import re

import pytest

import sim
from sim.analysis.views.player import Player

from .conftest import SCENARIOS


@pytest.fixture(scope="module")
def player():
    return Player(sim.run(SCENARIOS / "hello_world_crash.yaml").trace, frames=4)


def test_steps_to_moments(player):
    assert player.step(0, "barrier") == 151.0
    assert player.step(151.0, "barrier") == 152.0
    assert player.step(200, "crash") == 291.1
    assert player.step(300, "crash") is None
    assert player.step(600, "restore", -1) == 491.1
    assert player.step(491.1, "restore", -1) is None
    assert player.step(152.0, "event") > 152.0
    with pytest.raises(ValueError, match="unknown step kind"):
        player.step(0, "lunch")


def test_state_between_instants_is_the_last_instant(player):
    # nothing happens between 250 and 290: the state at 270 is the state at 250
    assert player.state(270) == player.state(250)
    assert player.state(270)["t"] <= 270


def test_text_panel_at_the_crash_and_the_restore(player):
    text = " ".join(player.text(291.1).split())               # lines are wrapped: compare words
    assert "FAILURE at 291.1 ms: split[0]" in text and "lost in flight: split[0] was processing hello" in text
    # named as the timing diagram names them: T2 (begun at checkpoint 1) of sink[1], count{world:1}
    assert "uncommitted output: T2 of sink[1] (1: world:::1)" in text
    assert "state at the failure: count->format->sink[0]: count{hello:1}; count->format->sink[1]: count{world:1}" in text
    text = " ".join(player.text(496).split())
    assert "RESTORE at 491.1 ms (attempt 2) from checkpoint 1" in text and "replayed so far: world, hello" in text
    assert "sources at {flink_kafka-0:1}" in text and "aborted: T2 of sink[0] (0), T2 of sink[1] (1)" in text


def test_fallback_animation_embeds_one_image_per_frame(player):
    frames = player.frames()
    assert len(frames) == 4 and 291.1 in frames and 491.1 in frames
    html = player.to_jshtml()
    assert len(re.findall(r'frames\[\d+\] = "data:image/png;base64,', html)) == 4
    bundle = player._repr_mimebundle_()              # no kernel here: the animation alone
    assert set(bundle) == {"text/plain", "text/html"}


def test_widget_walkthrough_the_done_when_of_issue_19(player):
    pytest.importorskip("ipywidgets")
    c = player.widget().controls
    # step to the barrier's arrival at count: the second barrier instant (151 split, 152 count)
    c["kind"].value = "barrier"
    c["next"].click()
    c["next"].click()
    assert c["label"].value == "t = 152 ms"
    # count (chained with format and sink) snapshots while its first channel is still blocked
    assert "count->format->sink[0]  BLOCKED snapshot 1 (sync)" in html.unescape(c["panel"].value)
    assert "left:" in c["diagram"].value and "<svg" in c["diagram"].value
    # step to the crash: what was lost in flight
    c["kind"].value = "crash"
    c["next"].click()
    assert c["label"].value == "t = 291.1 ms" and "was processing hello" in c["panel"].value
    # step to the restore: what was replayed (right after it, once the source re-read)
    c["kind"].value = "restore"
    c["next"].click()
    assert c["label"].value == "t = 491.1 ms" and "from checkpoint 1" in c["panel"].value
    c["kind"].value = "event"
    for _ in range(4):
        c["next"].click()
    assert "replayed so far: world" in c["panel"].value


def test_a_sink_with_no_open_transaction_says_none():
    # cancel_resubmit_beyond_timeout: checkpoint 1 (1 s) pre-commits T1; KafkaSink begins a transaction
    # only with its first record (docs/connectors.md: txn_begin) and none comes before the cancel at
    # 1.05 s: at 1.1 s the sink holds T1 pending and nothing open
    text = Player(sim.run(SCENARIOS / "lifecycle" / "cancel_resubmit_beyond_timeout.yaml").trace).text(1100)
    line = next(l for l in text.splitlines() if l.startswith("count->format->sink[0]"))
    assert "txn open none, pending" in line and "None" not in text
