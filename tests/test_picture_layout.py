"""Layout rules of the pictures: labels merged in reading order, kept off bars, legends that fit,
slide pictures that stay readable on a slide, checkpoint charts that do not invent sizes."""
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import sim  # noqa: E402
from sim.analysis.views.chandy_lamport import cl_diagram  # noqa: E402
from sim.analysis.views.checkpoints import checkpoint_chart  # noqa: E402
from sim.analysis.views.labels import JOIN_MOST, LabelLayer  # noqa: E402
from sim.analysis.views.timing import timing_diagram  # noqa: E402

from .conftest import SCENARIOS  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _layer(width: float = 4.0):
    fig, ax = plt.subplots(figsize=(width, 2))
    ax.set_xlim(0, 10)
    ax.set_ylim(-1, 1)
    return fig, ax, LabelLayer(ax, 9)


def test_labels_of_records_close_in_time_merge_into_one_in_time_order():
    # Worked out: on a 4-inch figure the axes span 10 units in under 4 inches, so 0.1 unit is under
    # 0.04 inch (3 px at 100 dpi) while "p0@0" at 9 pt is about 0.3 inch wide: the three reads at
    # 1.0, 1.1, 1.2 would print over one another and are one label, in time order, whatever order
    # they were added in; the read at 8.0 lies far right of that text and keeps its own label.
    fig, ax, layer = _layer()
    second = layer.add(1.1, 0.0, "p0@1", ((2, 4),), join=",")
    first = layer.add(1.0, 0.0, "p0@0", ((2, 4),), join=",")
    third = layer.add(1.2, 0.0, "p0@2", ((2, 4),), join=",")
    far = layer.add(8.0, 0.0, "p0@3", ((2, 4),), join=",")
    fig.canvas.draw()
    assert first.get_visible() and first.get_text() == "p0@0,p0@1,p0@2"
    assert not second.get_visible() and not third.get_visible()
    assert far.get_visible() and far.get_text() == "p0@3"
    fig.canvas.draw()                                  # drawn again (resized, saved): the same, not doubled
    assert first.get_text() == "p0@0,p0@1,p0@2"


def test_a_merged_label_of_many_values_is_cut_in_the_middle():
    # Worked out: six reads 0.05 unit apart all touch, so they are one label; beyond JOIN_MOST (4)
    # values it writes the first three, "…" and the last: v0,v1,v2,…,v5
    fig, ax, layer = _layer()
    labels = [layer.add(1.0 + 0.05 * i, 0.0, f"v{i}", ((2, 4), (2, -12), (2, 14)), join=",") for i in range(6)]
    fig.canvas.draw()
    assert JOIN_MOST == 4
    assert [t.get_text() for t in labels if t.get_visible()] == ["v0,v1,v2,…,v5"]


def test_a_label_never_sits_on_a_bar_registered_with_avoid_box():
    # a bar from x 1 to 6 just above the row: the label's first place (right of its anchor, 4 pt up)
    # lies on it, its second (12 pt down) is free
    fig, ax, layer = _layer()
    layer.avoid_box(1.0, 6.0, 0.05, 0.4)
    label = layer.add(1.0, 0.0, "kept (b,1)", ((2, 4), (2, -12)), 4)
    fig.canvas.draw()
    box = label.get_window_extent()
    (x0, y0), (x1, y1) = ax.transData.transform([(1.0, 0.05), (6.0, 0.4)])
    assert label.get_visible()
    assert box.x1 < x0 or box.x0 > x1 or box.y1 < y0 or box.y0 > y1


def test_a_label_never_runs_past_the_figure_top():
    # the only place offered lies above the figure's top edge: the label is hidden rather than cut
    fig, ax, layer = _layer()
    label = layer.add(5.0, 0.95, "above the top", ((2, 60),))
    fig.canvas.draw()
    assert not label.get_visible()


def test_a_checkpoint_that_did_not_complete_leaves_a_gap_in_the_size_line():
    # expired_checkpoint.yaml: checkpoint 1 expires (no checkpointed size: nothing was stored), 2 and
    # 3 complete. The size line has no point for 1 (a gap), not a drop to zero.
    run = sim.run(SCENARIOS / "recovery" / "expired_checkpoint.yaml")
    statuses = [c["status"] for c in run.report["checkpoints"]]
    assert statuses == ["expired", "completed", "completed"]
    ys = list(checkpoint_chart(run.trace)["size"][0].get_ydata())
    assert math.isnan(ys[0]) and all(y > 0 for y in ys[1:])


@pytest.mark.parametrize("name, grey", [("ring", True), ("concurrent_snapshots", False)])
def test_the_chandy_lamport_legend_lists_token_messages_only_when_one_is_drawn(name, grey):
    # ring: N1 sends 2 tokens to N2 before any snapshot (a grey arrow); concurrent_snapshots: its one
    # message is snapshot 1's channel state, drawn bold in the snapshot's colour, so no grey arrow
    drawn = cl_diagram(sim.run(SCENARIOS / "chandy_lamport" / f"{name}.yaml").trace)
    texts = [t.get_text() for t in drawn["lanes"][0].axes.get_legend().get_texts()]
    assert bool(drawn["messages"]) is grey and ("token message" in texts) is grey


@pytest.mark.parametrize("name", ["ring", "concurrent_snapshots"])
def test_a_slide_legend_fits_the_figure_and_leaves_the_axes_their_room(name):
    # the legend's long entries at 14 pt do not fit in two columns on a slide: it takes one, inside
    # the figure, and the axes keep most of the figure's width (they used to collapse to nothing)
    from matplotlib.figure import Figure
    fig = Figure(layout="constrained")
    fig.snapsim_fit = True
    drawn = cl_diagram(sim.run(SCENARIOS / "chandy_lamport" / f"{name}.yaml").trace, ax=fig.add_subplot(),
                       style="slide")
    fig.canvas.draw()
    ax = drawn["lanes"][0].axes
    legend = ax.get_legend().get_window_extent()
    assert fig.bbox.x0 <= legend.x0 and legend.x1 <= fig.bbox.x1
    assert ax.get_window_extent().width > 0.6 * fig.bbox.width


@pytest.mark.parametrize("scenario", ["stop_and_rescale.yaml", "cancel_resubmit_beyond_timeout.yaml"])
def test_a_slide_lifecycle_picture_stays_readable_on_a_720_pixel_tall_slide(scenario):
    # Worked out: a slide label is 14 pt. A picture H inches tall shown on a 720-px-tall slide is
    # scaled to 720 px, so a 14-pt label is 14/72 * 720/H px tall; at least 12 px needs
    # H <= 14 * 720 / (72 * 12) = 11.67 inches (the width, 10 inches, fits a 1280-px slide anyway).
    trace = sim.run(SCENARIOS / "lifecycle" / scenario).trace
    fig = timing_diagram(trace, style="slide")["lanes"][0].figure
    fig.canvas.draw()
    assert fig.get_figheight() <= 14 * 720 / (72 * 12)


def test_a_title_too_long_for_a_slide_is_broken_between_words_and_stays_inside_the_figure():
    # the close-up's title of transaction_timeout.png (101 characters, 18-pt bold) is wider than a
    # 10-inch slide figure: it takes more lines, each inside the figure, "280 ms" kept together;
    # the same title on the 13-inch notebook figure fits on one line
    title = ("230–310 ms: the sink crashes at 280 ms, before checkpoint 1's completion notice (due 302 ms) "
             "commits T1")
    trace = sim.run(SCENARIOS / "transactions" / "crash_before_notify_timed_out.yaml").trace
    for style, lines in (("slide", None), ("notebook", 1)):
        drawn = timing_diagram(trace, window=(230, 310), title=title, style=style)
        ax = drawn["lanes"][0].axes
        ax.figure.canvas.draw()
        text = ax.get_title(loc="left")
        assert text.replace("\n", " ") == title and "280\nms" not in text
        assert ax._left_title.get_window_extent().x1 <= ax.figure.bbox.x1
        assert len(text.split("\n")) == lines if lines else len(text.split("\n")) >= 2


def test_a_long_legend_entry_on_a_slide_goes_on_two_lines_rather_than_making_one_tall_column():
    # Worked out: "record overtaken by an unaligned barrier (channel state): sent → processed" is 76
    # characters, about 7 inches at 14 pt: with it on one line no two columns fit the slide's 10-inch
    # figure. Broken at the space nearest its middle it is about 3.5 inches, and the entries take two columns.
    trace = sim.run(SCENARIOS / "recovery" / "unaligned_inflight_restore.yaml").trace
    drawn = timing_diagram(trace, window=(95, 112), style="slide")
    ax = drawn["lanes"][0].axes
    ax.figure.canvas.draw()
    legend = ax.get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert legend._ncols == 2
    assert "record overtaken by an unaligned barrier\n(channel state): sent → processed" in texts
    assert ax.figure.bbox.x0 <= legend.get_window_extent().x0 and legend.get_window_extent().x1 <= ax.figure.bbox.x1


def test_every_trigger_of_a_crowded_slide_is_labelled_at_least_with_its_number():
    # stop_and_rescale.yaml triggers checkpoints 1 to 8 (two of them the stops' savepoints) within
    # 8 s; on a slide the labels of close checkpoints take every place beside some stars: those
    # stars are labelled with their number alone, none is left without a label
    trace = sim.run(SCENARIOS / "lifecycle" / "stop_and_rescale.yaml").trace
    assert [e["checkpoint"] for e in trace.of("checkpoint_trigger")] == list(range(1, 9))
    drawn = timing_diagram(trace, style="slide")
    drawn["lanes"][0].figure.canvas.draw()
    shown = {t.get_text() for t in drawn["labels"] if t.get_visible()}
    assert all({f"trigger {n}", f"{n}"} & shown for n in range(1, 9))
