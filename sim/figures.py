"""Regenerate ``figures/`` from ``scenarios/`` (``snapsim figures``): every picture is made, never drawn by hand."""
from __future__ import annotations

from pathlib import Path

__all__ = ["FIGURES", "TITLES", "COMPARE_TITLES", "ZOOM_TITLES", "SCREENSHOTS", "make_figures", "make_screenshots"]

#: (scenario, output file, picture kind, time window in ms or None, style); kind "zoom" draws the
#: whole run with the window under it (views.compare.save_zoom)
FIGURES = [
    # the README's picture: slide style, so that it stays readable at GitHub's column width
    ("hello_world_crash.yaml", "hello_world_crash.png", "timing", None, "slide"),
    ("hello_world_crash.yaml", "hello_world_crash.svg", "timing", None, "notebook"),
    ("hello_world_crash.yaml", "hello_world_crash_checkpoints.png", "checkpoints", None, "notebook"),
    ("gates/three_inputs_buffered.yaml", "gate_three_inputs_buffered.png", "gate", None, "notebook"),
    ("gates/alignment_timeout.yaml", "gate_alignment_timeout.png", "gate", None, "notebook"),
    ("gates/unaligned_overtaking.yaml", "gate_unaligned_overtaking.png", "gate", None, "notebook"),
    ("recovery/shuffle_crash_exactly_once.yaml", "shuffle_alignment.png", "timing", (950.0, 1300.0), "notebook"),
    ("recovery/unaligned_inflight_restore.yaml", "unaligned_inflight_restore.png", "timing", None, "notebook"),
    ("recovery/unaligned_inflight_restore.yaml", "unaligned_barrier_overtakes.png", "timing", (95.0, 112.0),
     "notebook"),
    ("recovery/unaligned_inflight_restore.yaml", "unaligned_checkpoints.png", "checkpoints", None, "notebook"),
    # the whole run, and under it the crash a few ms after checkpoint 1 completes (kind "zoom": the window)
    ("transactions/crash_before_notify_timed_out.yaml", "transaction_timeout.png", "zoom", (230.0, 310.0), "notebook"),
    # the two sinks and the lifecycle (docs/connectors.md, docs/lifecycle.md); a pair of scenarios is
    # drawn as two timing diagrams stacked on one time axis (titles: COMPARE_TITLES)
    (("transactions/checkpoints_wider_than_timeout.yaml", "connectors/kafka_sink_discards_commit.yaml"),
     "two_sinks_refused_commit.png", "timing", None, "notebook"),
    ("lifecycle/changed_prefix_stalls_reader.yaml", "changed_prefix_stall.png", "timing", None, "notebook"),
    ("lifecycle/cancel_resubmit_beyond_timeout.yaml", "cancel_resubmit_beyond_timeout.png", "timing", None,
     "notebook"),
    # a rescaled job: every submission's subtasks get a lane (docs/lifecycle.md, Rescaling)
    ("lifecycle/stop_and_rescale.yaml", "stop_and_rescale.png", "timing", None, "notebook"),
    ("chandy_lamport/ring.yaml", "chandy_lamport_ring.png", "chandy_lamport", None, "notebook"),
    ("chandy_lamport/concurrent_snapshots.yaml", "chandy_lamport_concurrent.png", "chandy_lamport", None, "notebook"),
    ("seed_job.yaml", "seed_job_crash_map.png", "crash_map", None, "notebook"),   # every crash point explored
]

#: output file -> the titles of its stacked diagrams
COMPARE_TITLES = {"two_sinks_refused_commit.png": [
    "FlinkKafkaProducer: a refused commit fails over",
    "KafkaSink: the same commit is discarded, silently"]}


#: output file of a "zoom" figure -> the titles of the whole run and of its window
ZOOM_TITLES = {"transaction_timeout.png": [
    "crash-before-notify-timed-out: T1 stays pre-committed until the broker aborts it at 3 s",
    "230–310 ms: the sink crashes at 280 ms, before checkpoint 1's completion notice (due 302 ms) commits T1"]}


#: (scenario, output file, URL fragment): screenshots of the HTML report in a headless browser
SCREENSHOTS = [
    ("hello_world_crash.yaml", "hello_world_crash_report.png", "t=291.1"),
]


#: figure file -> its title, where the scenario's name alone would mislead (a window of a longer run)
TITLES = {
    "shuffle_alignment.png": "shuffle-crash-exactly-once, 950–1300 ms: count[0] aligns checkpoint 1 (the crash comes later)",
    "unaligned_barrier_overtakes.png": "unaligned-inflight-restore, 95–112 ms: unaligned barriers overtake records "
                                       "(the restore comes later)",
}


def make_screenshots(scenarios: Path, out: Path) -> list[Path]:
    """Write each report of :data:`SCREENSHOTS` and photograph it (needs Chromium; see views.browser)."""
    import tempfile

    from .analysis.views.browser import screenshot
    from .api import load_scenario, run
    from .report import write_html

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="snapsim-report-") as tmp:
        for scenario, name, fragment in SCREENSHOTS:
            page = Path(tmp) / "report.html"
            write_html(run(load_scenario(scenarios / scenario)), page)
            # a still (no instructions, no controls), ending under the state panel: not cut mid-card
            screenshot(page, out / name, f"{fragment}&still", size=(1400, 3200), trim=True)
            written.append(out / name)
    return written


def make_figures(scenarios: Path, out: Path) -> list[Path]:
    """Run each scenario of :data:`FIGURES` and save its picture under ``out``."""
    from .analysis.views import save
    from .api import load_scenario, run

    out.mkdir(parents=True, exist_ok=True)
    written, traces = [], {}
    for scenario, name, kind, window, style in FIGURES:
        if kind == "crash_map":
            from .analysis.views.crash_map import save_crash_map
            from .explore import explore
            save_crash_map(explore(load_scenario(scenarios / scenario)), out / name)
            written.append(out / name)
            continue
        if isinstance(scenario, tuple):
            from .analysis.views.compare import save_compare
            save_compare([run(load_scenario(scenarios / s)).trace for s in scenario], out / name,
                         COMPARE_TITLES.get(name), style)
            written.append(out / name)
            continue
        if scenario not in traces:
            traces[scenario] = run(load_scenario(scenarios / scenario)).trace
        path = out / name
        if kind == "zoom":
            from .analysis.views.compare import save_zoom
            save_zoom(traces[scenario], path, window, ZOOM_TITLES.get(name), style)
        else:
            save(traces[scenario], path, kind=kind, window=window, style=style, title=TITLES.get(name))
        written.append(path)
    return written
