"""The one-page HTML report (issue 19): self-contained, honest, and usable in a real browser.

The browser tests open the page in headless Chromium (Debian's ``chromium``; ``.ci/run`` installs
it). Locally, without it, they skip and say so.
"""
import json
import os
import re
import subprocess
import sys

import pytest

import sim
from sim.analysis.views.browser import dump_dom, find_browser, screenshot

from .conftest import SCENARIOS, run_text


@pytest.fixture(scope="module")
def crash_run():
    return sim.run(SCENARIOS / "hello_world_crash.yaml")


@pytest.fixture(scope="module")
def page(crash_run, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(sim.report.to_html(crash_run), encoding="utf-8")
    return path


def _data(text: str) -> dict:
    raw = re.search(r'<script type="application/json" id="snapsim-data">(.*?)</script>', text, re.S).group(1)
    return json.loads(raw)


def test_page_is_self_contained_and_deterministic(crash_run, page):
    text = page.read_text(encoding="utf-8")
    assert text == sim.report.to_html(sim.run(SCENARIOS / "hello_world_crash.yaml"))   # same seed, same page
    # nothing is loaded from anywhere: no external scripts, styles, images or fetches
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)=', text)
    assert "fetch(" not in text and "XMLHttpRequest" not in text
    assert not re.search(r'(src|href)="(https?:)?//|url\(\s*["\']?(https?:)?//|@import', text)
    assert "every expectation holds" in text and "exactly once" in text


def test_embedded_states_are_the_timeline_at_every_event_instant(crash_run, page):
    data = _data(page.read_text(encoding="utf-8"))
    times = sorted({e["t"] for e in crash_run.trace if e["kind"] != "summary"})
    assert data["times"] == times                       # a small run keeps every instant
    at_crash = data["states"][times.index(291.1)]
    assert data["pool"][at_crash["failure"]]["dropped"] == [{"where": "split[0]", "items": ["hello"], "in_hand": True}]
    assert data["moments"]["restore"] == [491.1]
    # the geometry maps the axes: JobManager is the top lane, the readers the bottom ones
    lanes = [lane["name"] for lane in data["geo"]["lanes"]]
    assert lanes[0] == "JobManager" and lanes[-1] == "reader dirty"
    assert data["geo"]["t"][0] == 0


def test_the_state_panel_names_transactions_and_states_as_the_pictures_do(page):
    # hello_world_crash: checkpoint 1's barrier (150 ms) pre-commits T1 and opens T2 in each sink;
    # at the crash (291.1 ms) T1 is committed and T2 open: sink[1]'s holds world:::1, and the sink's
    # card says so as the timing diagram labels it (T2), its state as count{world:1}
    data = _data(page.read_text(encoding="utf-8"))
    at_crash = data["states"][data["times"].index(291.1)]
    cards = {c["name"]: c for c in (data["pool"][i] for i in at_crash["tasks"])}
    sink = cards["count->format->sink[1]"]
    assert (sink["open_txn"], sink["pending_txns"], sink["state"]) == ("T2", [], "count{world:1}")
    assert cards["source[0]"]["position"] == "{flink_kafka-0:3}"          # hello, world, hello read
    failure = data["pool"][at_crash["failure"]]
    assert [x["txn"] for x in failure["open_txns"]] == ["T2 of sink[0]", "T2 of sink[1]"]
    # no raw transaction id (sink[1]#2) nor JSON state is left anywhere in the embedded states
    embedded = json.dumps([data["pool"], data["states"]])
    assert "]#" not in embedded and '{\\"count' not in embedded


def test_failover_table_of_the_crash_run(page):
    # split crashes at 291.1 (third record); restart delay 200 ms, from checkpoint 1
    text = page.read_text(encoding="utf-8")
    table = text[text.index('<h2 id="failovers">'):text.index('<h2 id="transactions">')]
    assert "<td>291.1</td><td>split[0]</td>" in table and "<td>restarted</td><td>1</td><td>200.0</td>" in table


def test_hover_list_keeps_every_control_event_when_thinned(crash_run, monkeypatch):
    from sim.analysis.views import html as page
    monkeypatch.setattr(page, "MAX_EVENTS", 150)
    events = [e for e in crash_run.trace if e["kind"] not in ("run_start", "summary")]
    kept = page._hover_events(events)
    control = [e for e in events if e["kind"] not in page._HOPS]
    assert len(control) < 150 < len(events)
    assert [e for e in kept if e["kind"] not in page._HOPS] == control
    assert len(kept) <= 150 and len(kept) > len(control)


def test_hostile_values_are_escaped():
    text = """
name: hostile
seed: 1
kafka: {topics: {in: {partitions: 1}, out: {partitions: 1}}}
input:
  - {topic: in, at: 100, value: "</script><script>alert(1)</script> <b>bold</b>"}
job:
  parallelism: 1
  operators:
    - {name: source, type: kafka_source, implementation: FlinkKafkaConsumer, topic: in, start_from: earliest}
    - {name: split, type: flat_map, function: split_words}
    - {name: count, type: keyed_sum, key: word}
    - {name: format, type: map, function: format_count}
    - {name: sink, type: kafka_sink, implementation: FlinkKafkaProducer, topic: out, semantic: exactly_once, transaction_timeout: 1min}
checkpointing: {interval: 50ms}
consumers: [{name: committed, topic: out, isolation: read_committed}]
run: {until: drained}
"""
    page = sim.report.to_html(run_text(text))
    assert page.count("<script>") == 1 and "<b>bold" not in page
    assert "alert(1)" in json.dumps(_data(page))        # still there, as data


def test_gate_scenario_gets_a_page_too():
    page = sim.report.to_html(sim.run(SCENARIOS / "gates" / "three_inputs_buffered.yaml"))
    assert "<svg" in page and "every expectation holds" in page and "<script" not in page


def test_cli_html_flag(tmp_path):
    out = tmp_path / "r.html"
    done = subprocess.run([sys.executable, "-m", "sim.cli", "run", str(SCENARIOS / "hello_world.yaml"), "-q",
                           "--html", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    bad = subprocess.run([sys.executable, "-m", "sim.cli", "run", str(SCENARIOS / "hello_world.yaml"),
                          "--html", str(tmp_path / "r.txt")], capture_output=True, text=True)
    assert bad.returncode == 2 and "--html" in bad.stderr and "ending in .html" in bad.stderr
    assert "Traceback" not in bad.stderr


# --- in a real browser ------------------------------------------------------------------------------
MISSING = ("headless Chromium not found: install Debian's 'chromium' (apt-get install chromium) or set "
           "SNAPSIM_BROWSER; .ci/run installs it")
@pytest.fixture
def chromium():
    """Skip (locally) or fail (in CI: SNAPSIM_REQUIRE_BROWSER is set) when no browser is found."""
    if find_browser() is None:
        if os.environ.get("SNAPSIM_REQUIRE_BROWSER"):
            pytest.fail(MISSING)
        pytest.skip(MISSING)


def _panel(dom: str) -> str:
    """The text of the state panel in a dumped DOM (tags stripped)."""
    part = dom[dom.index('id="state"'):dom.index('<script type="application/json"')]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part)).replace("&gt;", ">").replace("&quot;", '"')


def test_browser_renders_diagram_tables_and_the_state_at_a_chosen_time(page, chromium):
    dom = dump_dom(page, "t=152")
    assert "<svg" in dom and dom.count("<table") >= 4
    assert re.search(r'<span class="st-completed">completed</span>', dom)
    panel = _panel(dom)
    # the barrier's arrival at count (chained with format and sink): both barriers taken, the
    # first channel still blocked during the synchronous snapshot of {"hello": 1}
    assert "t = 152 ms" in panel and "barrier 1 reached count->format->sink[0] on split[0]->count->format->sink[0]" in panel
    assert "count->format->sink[0] blocked snapshot 1 (sync)" in panel and 'state: count{hello:1}' in panel
    assert "Checkpoint 1 in progress since 150 ms" in panel


def test_browser_crash_and_restore_instants(page, chromium):
    panel = _panel(dump_dom(page, "t=291.1"))
    assert "Failure at 291.1 ms: split[0]" in panel and "split[0] was processing hello" in panel
    assert "T2 of sink[1] (open, 1 record(s): world:::1)" in panel      # the pictures' name, T2
    panel = _panel(dump_dom(page, "t=496"))
    assert "Restart at 491.1 ms (attempt 2) from checkpoint 1" in panel
    assert "Replayed so far: world, hello" in panel and "Aborted on restore: T2 of sink[0] (0 records), T2 of sink[1] (1 records)" in panel


def test_browser_click_on_the_diagram_shows_that_instant(page, chromium):
    # Click at the x of t = 250 ms (a quiet moment: world:::1 sits in sink[1]'s open transaction,
    # read by the dirty reader only). The fraction comes from the embedded axes geometry.
    geo = _data(page.read_text(encoding="utf-8"))["geo"]
    (x0, y0, x1, y1), (t0, t1) = geo["box"], geo["t"]
    fx, fy = x0 + (250 - t0) / (t1 - t0) * (x1 - x0), (y0 + y1) / 2
    panel = _panel(dump_dom(page, f"click={fx:.5f},{fy:.5f}"))
    shown = float(re.search(r"t = ([0-9.]+) ms", panel).group(1))
    assert abs(shown - 250) < (t1 - t0) / 500                  # within a pixel or two
    assert "reader dirty (read_uncommitted) has read 2" in panel and \
        re.search(r"count->format->sink\[1\] .*?transactions: open T2", panel)      # as the diagram names it


def test_browser_screenshot(page, tmp_path, chromium):
    import matplotlib.image as mpimg
    png = screenshot(page, tmp_path / "report.png", "t=291.1", size=(1400, 1400))
    pixels = mpimg.imread(str(png))
    assert pixels.shape[:2] == (1400, 1400)
    # the cursor (vermillion #D55E00) is drawn over the diagram
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    assert ((abs(r - 0xD5 / 255) < 0.06) & (abs(g - 0x5E / 255) < 0.06) & (b < 0.08)).sum() > 200


def test_a_still_of_the_page_ends_under_the_state_panel(page, tmp_path, chromium):
    import matplotlib.image as mpimg
    # "&still": the page as a picture (the README's screenshot): no instructions to click, and
    # it ends with the state panel, so a screenshot of a tall window trimmed of the blank page
    # under it is not cut in the middle of a task's card
    assert re.search(r'<body[^>]*class="still"', dump_dom(page, "t=291.1&still"))
    assert not re.search(r'<body[^>]*class="still"', dump_dom(page, "t=291.1"))
    png = screenshot(page, tmp_path / "still.png", "t=291.1&still", size=(1400, 3200), trim=True)
    pixels = mpimg.imread(str(png))
    assert 1000 < pixels.shape[0] < 3200 and pixels.shape[1] == 1400
    assert (pixels[-20:, :, :3] > 0.99).all()                 # it ends on blank page, under the content

