"""What every picture shares: the colour-blind-safe palette, the two text styles, hover titles.

The palette is Okabe & Ito's eight colours ("Color Universal Design", 2008), chosen so that
checkpoints stay apart under red-green colour blindness; meaning never rests on colour alone
(crash is a cross, restore a triangle, unaligned barriers are dashed).

``STYLES`` holds the two sizes a picture is made for: ``notebook`` (read at about 1000 px wide)
and ``slide`` (projected: a smaller figure with larger text, so the smallest label is still about
14 px when the picture is shown 700 px wide, 25 px on a 1280 px slide).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["OKABE_ITO", "CHECKPOINT_COLORS", "TXN_COLORS", "RECORD", "REPLAY", "CRASH", "RESTORE", "COMMIT",
           "Style", "STYLES", "style_of", "cp_color", "tip", "clean_id", "finish_axes",
           "legend_below", "axes_for", "set_title"]

#: Okabe-Ito: orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple, black.
OKABE_ITO = {"orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000"}

# NOTE: red/vermillion is reserved for crashes and aborts and green for commits/restores, so the
# checkpoint colours avoid both; neighbouring checkpoints differ in lightness as well as hue.
# Orange is kept for replayed records.
# Sky blue comes last: next to blue it differs only in lightness, and it is close to "txn open".
CHECKPOINT_COLORS = [OKABE_ITO["blue"], OKABE_ITO["purple"], "#7A5C00", OKABE_ITO["black"], "#5E3C99", OKABE_ITO["sky"]]
RECORD, REPLAY = "#9a9a9a", OKABE_ITO["orange"]
CRASH, RESTORE, COMMIT = OKABE_ITO["vermillion"], OKABE_ITO["green"], OKABE_ITO["green"]
TXN_COLORS = {"open": "#BFE3F7", "precommitted": OKABE_ITO["yellow"], "committed": OKABE_ITO["green"],
              "aborted": OKABE_ITO["vermillion"]}


@dataclass(frozen=True)
class Style:
    """Sizes (points) of one picture style; ``width`` is the figure width in inches."""

    name: str
    width: float
    lane: float        # inches per lane
    label: float       # labels on the picture (values, states, names of marks)
    tick: float        # axis tick labels and lane names
    title: float
    legend: float
    line: float        # barrier width; records are thinner
    marker: float
    sink_room: float   # extra room (lanes) under a sink's lane: its transaction rows, the next lane's labels
    end_room: float    # room after a run's last event (a fraction of its length), for the labels there


STYLES = {
    "notebook": Style("notebook", 13.0, 0.5, 9.0, 10.0, 13.0, 9.0, 2.2, 7.0, 0.3, 0.12),
    # 14-pt labels on a 10-inch figure: about 14 px when the 1500-px PNG is shown 700 px wide; large
    # text needs more room under a sink's lane for the snapshot states written above the next lane,
    # and every millisecond of width between two checkpoints for the states of both (the last
    # checkpoint's labels go left of it rather than into a wide margin)
    "slide": Style("slide", 10.0, 0.72, 14.0, 15.0, 18.0, 14.0, 3.2, 10.0, 0.8, 0.06),
}


def style_of(style) -> Style:
    """A :class:`Style` from its name (``"notebook"``/``"slide"``) or itself; unknown names are an error."""
    if isinstance(style, Style):
        return style
    if style not in STYLES:
        raise ValueError(f"unknown picture style {style!r}; expected one of {sorted(STYLES)}")
    return STYLES[style]


def cp_color(cid) -> str:
    """The colour of checkpoint (or snapshot) ``cid`` (1-based)."""
    return CHECKPOINT_COLORS[(int(cid) - 1) % len(CHECKPOINT_COLORS)]


_NOT_ID = re.compile(r"[^A-Za-z0-9]+")


def clean_id(*parts) -> str:
    """An XML/CSS-safe id from parts: ``("barrier", 1, "source[0]->split[0]")`` -> ``barrier-1-source-0-split-0``."""
    text = "-".join(str(p) for p in parts if p is not None and p != "")
    text = _NOT_ID.sub("-", text).strip("-").lower()
    return text if text[:1].isalpha() else "x-" + text


def tip(artist, gid: str, title: str):
    """Give ``artist`` an SVG id and a hover title (written as ``<title>`` by :func:`save`); returns it."""
    artist.set_gid(gid)
    artist.snapsim_title = title
    return artist


def finish_axes(ax, style: Style) -> None:
    """Lane-diagram axes: no frame but the time axis, no y ticks, readable tick labels."""
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0, labelsize=style.tick)
    ax.tick_params(axis="x", labelsize=style.tick)


def legend_below(ax, entries: dict, style: Style, ncol: int | None = None):
    """The legend under the time axis (it never covers data), from the lane names' left edge; as many
    columns as fit across the figure (up to ``ncol``, or four); grows the figure by its rows when needed."""
    import math

    from matplotlib.transforms import ScaledTranslation

    fig = ax.figure.figure                     # the root figure (the axes may sit in a subfigure)
    # NOTE: it starts under the lane names (the widest one's left edge), not under the axes: a slide's
    # large legend then fits in two columns instead of one twice as tall. That edge is a fixed
    # distance left of the axes, as the names are, so the layout makes no more room for it.
    left = _left_margin(ax, style) - 0.1
    # NOTE: a caller's ``ncol`` is the most it wants: a slide's larger text may fit fewer (a legend
    # wider than the figure would squeeze the axes to nothing)
    width, most = fig.get_figwidth() - 0.3, ncol or 4
    labels = list(entries)
    ncol = _columns_that_fit(labels, width, style.legend, most=most)
    if ncol == 1 and most > 1 and len(labels) > 4:
        # NOTE: one column only because a few labels are long (a slide's large text): those go on two
        # lines and the legend takes two columns, half as tall, when that fits
        half = width / 2 - (LEGEND_HANDLE + 0.8 + LEGEND_GAP) * style.legend / 72
        wrapped = [_two_lines(k, half, style.legend) for k in labels]
        if _columns_that_fit(wrapped, width, style.legend, most=2) == 2:
            labels, ncol = wrapped, 2
    rows = math.ceil((len(labels) + sum(k.count("\n") for k in labels)) / ncol)
    # below the tick labels and the axis label: a fixed offset in inches, whatever the figure size
    below = ax.transAxes + ScaledTranslation(-left, -(3.2 * style.tick) / 72, fig.dpi_scale_trans)
    legend = ax.legend(handles=list(entries.values()), labels=labels, loc="upper left",
                       bbox_to_anchor=(0, 0), bbox_transform=below, ncol=ncol, fontsize=style.legend,
                       frameon=False, handlelength=LEGEND_HANDLE, columnspacing=LEGEND_GAP)
    if getattr(fig, "snapsim_fit", False):
        w, h = fig.get_size_inches()
        fig.set_size_inches(w, h + rows * 1.55 * style.legend / 72 + 0.2)
    return legend


#: the legend's handle length and the gap between its columns (in font sizes, as matplotlib takes them)
LEGEND_HANDLE, LEGEND_GAP = 2.4, 1.5


def _two_lines(label: str, width: float, points: float) -> str:
    """``label`` as it is if it is at most ``width`` inches wide, else broken at the space nearest its middle."""
    spaces = [i for i, ch in enumerate(label) if ch == " "]
    if not spaces or _text_inches(label, points) <= width:
        return label
    cut = min(spaces, key=lambda i: abs(len(label) - 2 * i))
    return label[:cut] + "\n" + label[cut + 1:]


def set_title(ax, text: str, style: Style) -> None:
    """The axes' bold title at its left, broken between words onto lines of about equal width where
    one line would run past the figure's right edge (a long title on a slide's narrower figure)."""
    import math

    room = ax.figure.figure.get_figwidth() - _left_margin(ax, style) - 0.1
    whole = _text_inches(text, style.title, bold=True)
    words: list[str] = []
    for word in text.split(" "):                  # a number keeps its unit: "280 ms" is never broken
        if words and re.match(r"(ms|s)\b", word):
            words[-1] = f"{words[-1]} {word}"
        else:
            words.append(word)
    lines = _wrap(words, room, style.title)
    if len(lines) > 1:
        # NOTE: as many lines, each filled to about an equal share: no lone last word
        even = _wrap(words, min(room, whole / len(lines) * 1.1), style.title)
        lines = even if len(even) == len(lines) else lines
    ax.set_title("\n".join(lines), loc="left", fontsize=style.title, fontweight="bold")


def _wrap(words: list[str], width: float, points: float) -> list[str]:
    """``words`` in bold at ``points`` on lines at most ``width`` inches wide (a longer word alone)."""
    lines: list[str] = []
    for word in words:
        if lines and _text_inches(f"{lines[-1]} {word}", points, bold=True) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


@lru_cache(maxsize=4096)
def _text_inches(text: str, points: float, bold: bool = False) -> float:
    """The width of one line of text in DejaVu Sans (matplotlib's default font) at ``points``, in inches:
    measured from the font's glyphs, without drawing (so the same on every machine with that font)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    font = FontProperties(size=points, weight="bold" if bold else "normal")
    return max((text_to_path.get_text_width_height_descent(line, font, ismath=False)[0]
                for line in text.split("\n")), default=0.0) / 72


def _left_margin(ax, style: Style) -> float:
    """Inches from the figure's left edge to the axes': the widest lane name (y tick label) and its pad."""
    names = [t.get_text() for t in ax.get_yticklabels()]
    return max((_text_inches(name, style.tick) for name in names), default=0.0) + 0.25


def _columns_that_fit(labels: list[str], width: float, points: float, most: int = 4) -> int:
    """The most legend columns (up to ``most``) whose widths add up to at most ``width`` inches.

    matplotlib fills a legend column by column and each column is as wide as its longest label, so
    one long label costs only its own column, not every column. A column is its handle, the pad
    after it (0.8 font sizes), its longest label and the gap to the next column.
    """
    import math

    def inches(label: str) -> float:
        return _text_inches(label, points) + (LEGEND_HANDLE + 0.8 + LEGEND_GAP) * points / 72

    for ncol in range(min(most, max(1, len(labels))), 1, -1):
        rows = math.ceil(len(labels) / ncol)
        if sum(max(inches(k) for k in labels[i:i + rows]) for i in range(0, len(labels), rows)) <= width:
            return ncol
    return 1


def axes_for(ax, width: float, height: float):
    """``ax`` itself, or new axes of that size; a figure the picture owns is sized (and grows its legend)."""
    if ax is None:
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
        fig.snapsim_fit = True
    elif getattr(ax.figure, "snapsim_fit", False):
        ax.figure.set_size_inches(width, height)
    return ax
