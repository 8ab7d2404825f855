"""Labels that never overprint: placed at draw time, when their real size on the page is known.

A :class:`LabelLayer` is one artist on the axes that owns the picture's text labels. Each time the
figure is drawn (on screen, PNG, SVG, at any size) it measures every label with the renderer and
places them in priority order, trying each label's candidate offsets in turn, then the same offsets
mirrored to the left of its anchor (a label near the right edge, or right of a column of barriers,
finds its room before the mark rather than nowhere). A place is free when
it covers no other label and none of the marks and lines registered with :meth:`LabelLayer.avoid`
(barriers, records, rules, crosses, dots): text is never printed over a mark. A label about a mark
(priority <= ``OVER_RECORDS``: states, transactions) that finds no such place may cross thin record
lines ("soft" obstacles), on a light backing that keeps it readable; an important label
(priority <= ``INSIST``) that still finds none may cross lines (a rule, a barrier: it hides a
short piece of a line, never a whole event), then its short wording (if it has one) in a free
place, and only when every place covers a mark does it take the first place free of other labels;
any other label that finds none, or whose anchor lies outside the visible time window, is hidden
for that drawing. The axes' title is taken like a label. So labels stay readable when the figure is resized, zoomed or cut to a window.

Labels added with a ``join`` (the values of records on one lane) are first merged, in time order,
while the next one's anchor falls on the text before it: "p0@0,p0@1,p0@2" is one label in reading
order, where three would stack above each other, out of order (more than :data:`JOIN_MOST` values
merged are cut in the middle: "p1@0,p1@1,p1@2,…,p1@7"; the hover titles keep every value). The
values of one instant (a reader's one poll) stay one label written out in full.
"""
from __future__ import annotations

__all__ = ["LabelLayer", "ABOVE", "BELOW", "AROUND", "INSIST", "OVER_RECORDS"]

#: labels of this priority or more important may print over a mark (never over a label) rather than vanish
INSIST = 2
#: labels of this priority or more important may cross thin record lines when nothing else is free
OVER_RECORDS = 4
#: grid cell (px) of the placement index; sample step (px) along a line obstacle
CELL, STEP = 64, 5.0
#: the most values a merged label writes out: beyond, the first ones, "…" and the last
JOIN_MOST = 4
#: extra rightward shifts (points) tried after a label's own offsets
SLIDE = (8, 18, 32)
#: pixels around a label that must be free too
PAD = 1.5
#: pixels kept free at the figure's right edge (measured text can be a little narrower than its ink)
EDGE = 8

#: candidate offsets in points (dx, dy) from the anchor, tried in order
ABOVE = ((2, 4), (2, 14), (2, 24), (-2, -12))
BELOW = ((2, -12), (2, -22), (2, -32), (2, 4))
AROUND = ((2, 4), (2, -12), (2, 14), (2, -22), (2, 24), (2, -32))


def _layer_class():
    from matplotlib.artist import Artist

    class _Layer(Artist):
        """The matplotlib artist behind :class:`LabelLayer` (defined lazily: matplotlib is imported late)."""

        def __init__(self, owner):
            super().__init__()
            self.owner = owner

        def draw(self, renderer):
            self.owner.place(renderer)
            for text in self.owner.texts:
                if text.get_visible():
                    text.draw(renderer)
            self.stale = False

    return _Layer


class LabelLayer:
    """Collects labels for one axes; ``add`` returns the Text, which the layer draws or hides."""

    def __init__(self, ax, size: float) -> None:
        self.ax, self.size = ax, size
        self.texts: list = []
        self._items: list[tuple] = []          # (priority, seq, text, x, y, places (dx, dy, mirrored))
        self._avoid: list[tuple] = []          # (xs, ys, half size in points, joined, soft): marks and lines
        self._joins: dict[tuple, list] = {}    # (row y, priority) -> [(x, seq, label, separator, parts, dx)]
        self._parts: dict[int, tuple] = {}     # id of a join label -> its entry in _joins
        self._boxes: list[tuple] = []          # (x0, x1, y0, y1) in data coordinates: bars
        self.artist = _layer_class()(self)
        self.artist.set_zorder(30)
        ax.add_artist(self.artist)

    def add(self, x: float, y: float, text, offsets=ABOVE, priority: int = 5, mirror: bool = True,
            short: str | None = None, join: str | None = None, **kw):
        """A label anchored at data (x, y); lower ``priority`` numbers are placed first. Its places are
        ``offsets`` (points), then each slid right; with ``mirror`` then all of them left of the anchor.
        ``text`` may be a tuple of wordings of the same label (say one line, then two): in each place
        each wording is tried in turn. ``short``: a last wording, used only in a free place where
        every other wording would cover a mark (or, for a label that does not insist, be hidden).
        ``join``: the separator with which this label merges into the one before it on its row (same
        ``y`` and priority) when they would touch (see :meth:`append`)."""
        from matplotlib.text import Text

        variants = None if isinstance(text, str) else tuple(text)      # None: the label's text, as set last
        kw.setdefault("fontsize", self.size)
        label = Text(x, y, text if variants is None else variants[0], ha=kw.pop("ha", "left"), va=kw.pop("va", "baseline"), **kw)
        label.set_figure(self.ax.figure)
        label.set_clip_on(False)
        own = tuple(offsets) + tuple((dx + s, dy) for s in SLIDE for dx, dy in offsets)
        places = tuple((dx, dy, False) for dx, dy in own) + (tuple((dx, dy, True) for dx, dy in own) if mirror else ())
        if join is not None:
            entry = (x, len(self._items), label, join, [label.get_text()], own[0][0])
            self._joins.setdefault((y, priority), []).append(entry)
            self._parts[id(label)] = entry
        self._items.append((priority, len(self._items), label, x, y, places, variants, short))
        self.texts.append(label)
        return label

    def append(self, label, text: str) -> None:
        """One more part of a ``join`` label (a value at the same instant): "p0@1" becomes "p0@1,p0@2"."""
        _, _, _, join, parts, _ = self._parts[id(label)]
        parts.append(text)
        label.set_text(join.join(parts))

    def _merge(self, renderer) -> tuple[set[int], dict[int, tuple]]:
        """Merge each row's ``join`` labels, in time order, while the next one's anchor lies on the
        text of the one before it (at its first place); returns the ids of the labels merged away and,
        for each label they merged into, its wordings: on one line, then one part a line."""
        merged: set[int] = set()
        wordings: dict[int, tuple] = {}
        x0, x1 = sorted(self.ax.get_xlim())
        px = self.ax.figure.dpi / 72
        for group in self._joins.values():
            if len(group) == 1:                               # alone on its row: nothing to merge
                x, _, label, join, parts, _ = group[0]
                label.set_text(join.join(parts))
                continue
            head = None                                       # [label, its parts, separator, where its text ends]
            for x, _, label, join, parts, dx in sorted(group, key=lambda g: g[:2]):
                label.set_text(join.join(parts))              # its own text again (the figure may be redrawn)
                if not x0 <= x <= x1:
                    continue
                anchor = self.ax.transData.transform((x, 0))[0]
                # NOTE: the head does not move and its text stops growing at JOIN_MOST values, so a
                # merge spans at most one label's width of time, however dense the records
                if head is not None and anchor <= head[3]:
                    head[1].extend(parts)
                    head[0].set_text(_joined(head[2], head[1]))
                    merged.add(id(label))
                    wordings[id(head[0])] = (head[0].get_text(), _joined("\n", head[1]))
                else:
                    head = [label, list(parts), join, 0.0]
                # NOTE: a gap of half a letter: values closer than that would read as one anyway
                head[3] = self._measure(head[0], renderer)[2] + (dx + self.size * 0.5) * px
        return merged, wordings

    def avoid(self, xs, ys, size: float = 4.0, joined: bool = False, soft: bool = False) -> None:
        """Keep labels off these data points (a mark ``size`` points across) or, ``joined``, off the
        line through them; a ``None`` y is a vertical rule over the whole axes. ``soft``: a thin line
        that labels about marks may cross when nothing else is free."""
        self._avoid.append((tuple(xs), tuple(ys), size / 2, joined, soft))

    def avoid_box(self, x0: float, x1: float, y0: float, y1: float) -> None:
        """Keep labels off a bar (data coordinates: from ``x0`` to ``x1``, ``y0`` to ``y1``), as off a line:
        an important label may still cross it when nothing else is free."""
        self._boxes.append((x0, x1, y0, y1))

    def _obstacles(self) -> tuple[dict, dict, dict]:
        """(marks, lines, soft lines): 64-px cell -> display boxes ``(x0, y0, x1, y1)`` of the registered
        points (stars, dots, crosses), of the lines and rules, and of the thin record lines."""
        ax, marks, lines, soft_grid = self.ax, {}, {}, {}
        ylo, yhi = sorted(ax.get_ylim())
        px = self.ax.figure.dpi / 72
        for xs, ys, half, joined, soft in self._avoid:
            pts = ax.transData.transform([(x, (ylo if y is None else y)) for x, y in zip(xs, ys)])
            if any(y is None for y in ys):                    # a rule: from the bottom to the top of the axes
                pts = ax.transData.transform([(xs[0], ylo), (xs[0], yhi)])
                joined = True
            grid = soft_grid if soft else lines if joined else marks
            h = max(half * px, 1.0)
            if joined:
                samples = []
                for (ax0, ay0), (ax1, ay1) in zip(pts[:-1], pts[1:]):
                    n = max(1, int(max(abs(ax1 - ax0), abs(ay1 - ay0)) / STEP))
                    samples += [(ax0 + (ax1 - ax0) * k / n, ay0 + (ay1 - ay0) * k / n) for k in range(n + 1)]
            else:
                samples = list(pts)
            for sx, sy in samples:
                box = (sx - h, sy - h, sx + h, sy + h)
                for cell in _cells(box):      # every cell it reaches: a label in the next cell sees it too
                    grid.setdefault(cell, []).append(box)
        for bx0, bx1, by0, by1 in self._boxes:
            (px0, py0), (px1, py1) = ax.transData.transform([(bx0, by0), (bx1, by1)])
            box = (min(px0, px1), min(py0, py1), max(px0, px1), max(py0, py1))
            for cell in _cells(box):
                lines.setdefault(cell, []).append(box)
        return marks, lines, soft_grid

    def place(self, renderer) -> None:
        """Place every label (visible) or hide it; called by the figure at each draw."""
        ax = self.ax
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        grid: dict[tuple[int, int], list] = {}     # 64-px cells -> label boxes taken there (keeps this O(n))
        for title in (ax.title, ax._left_title, ax._right_title):     # the axes' titles are taken too
            if title.get_text() and title.get_visible():
                box = tuple(title.get_window_extent(renderer).extents)
                for c in _cells(box):
                    grid.setdefault(c, []).append(box)
        obstacles = self._obstacles()
        merged, wordings = self._merge(renderer) if self._joins else (set(), {})
        for priority, _, label, x, y, places, variants, short in sorted(self._items, key=lambda item: item[:2]):
            label.set_visible(x0 <= x <= x1 and y0 <= y <= y1 and id(label) not in merged)   # measured only while visible
            if not label.get_visible():
                continue
            variants = wordings.get(id(label), variants)
            free, over_records, over_lines, over_marks = self._search(label, x, y, places, variants, grid, obstacles,
                                                                      renderer)
            found = free or (over_records if priority <= OVER_RECORDS else None) or \
                (over_lines if priority <= INSIST else None)
            if found is None and short is not None:
                found = free = self._search(label, x, y, places, (short,), grid, obstacles, renderer)[0]
            if found is None and priority <= INSIST:
                found = over_marks
            if found is None:
                label.set_visible(False)
                continue
            label.set_text(found[0])
            box = self._put(label, x, y, *found[1], renderer)
            if not free:
                label.set_bbox({"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 0.6})
            for c in _cells(box):
                grid.setdefault(c, []).append(box)

    def _search(self, label, x, y, places, variants, grid, obstacles, renderer):
        """``(free, over records, over lines, over marks)``: the first (wording, place) free of everything,
        and the first ones that cover only thin record lines, only lines (no mark), or marks (but never
        another label)."""
        marks, lines, records = obstacles
        left = self.ax.bbox.x0                    # a label never runs into the lane names
        top = self.ax.figure.bbox.y1 - EDGE / 4   # nor past the figure's top (the layout makes no room for it)
        anchor = self.ax.transData.transform((x, y))[0]
        over_records = over_lines = over_marks = None
        texts = variants or (label.get_text(),)
        # NOTE: each wording is measured once, at its anchor: every place is that box moved (text
        # layout is what costs; a candidate is then a few comparisons of plain tuples)
        at_anchor = []
        for text in texts:
            label.set_text(text)
            at_anchor.append(self._measure(label, renderer))
        # NOTE: after its own places a label may slide right along its row, then try the left side
        # of its anchor: near its mark, on either side, beats hidden
        for place in places:                  # NOTE: near its mark in another wording beats far in the first
            for text, base in zip(texts, at_anchor):
                box = self._moved(base, anchor, *place)
                cells = _cells(box)
                if box[0] < left or box[3] > top or any(_overlap(box, other) for c in cells for other in grid.get(c, ())):
                    continue
                if any(_overlap(box, m) for c in cells for m in marks.get(c, ())):
                    over_marks = over_marks or (text, place)
                elif any(_overlap(box, m) for c in cells for m in lines.get(c, ())):
                    over_lines = over_lines or (text, place)
                elif any(_overlap(box, m) for c in cells for m in records.get(c, ())):
                    over_records = over_records or (text, place)
                else:
                    return (text, place), over_records, over_lines, over_marks
        return None, over_records, over_lines, over_marks

    def _measure(self, label, renderer) -> tuple:
        """The label's box ``(x0, y0, x1, y1)`` in display pixels with no offset: at its anchor."""
        label.set_bbox(None)
        label.set_transform(self.ax.transData)
        return tuple(label.get_window_extent(renderer).extents)

    def _moved(self, base: tuple, anchor: float, dx, dy, mirrored) -> tuple:
        """``base`` (the box at the anchor, whose x is ``anchor`` px) at offset (dx, dy) points, or
        (``mirrored``) at that offset's mirror image left of the anchor, kept inside the figure's
        right edge; padded by :data:`PAD` pixels."""
        fig = self.ax.figure
        mx, my = dx * fig.dpi / 72, dy * fig.dpi / 72
        x0, y0, x1, y1 = base[0] + mx, base[1] + my, base[2] + mx, base[3] + my
        if mirrored:                                               # reflect the box about the anchor
            shift = 2 * anchor - x1 - x0
        elif x1 > fig.bbox.x1 - EDGE:                              # past the figure's right edge: shift left
            shift = fig.bbox.x1 - EDGE - x1
        else:
            shift = 0.0
        return (x0 + shift - PAD, y0 - PAD, x1 + shift + PAD, y1 + PAD)

    def _put(self, label, x, y, dx, dy, mirrored, renderer) -> tuple:
        """Move ``label`` to a place (see :meth:`_moved`); returns its padded box."""
        from matplotlib.transforms import offset_copy

        fig = self.ax.figure
        base = self._measure(label, renderer)
        box = self._moved(base, self.ax.transData.transform((x, y))[0], dx, dy, mirrored)
        shift_x = (box[0] + PAD - base[0]) * 72 / fig.dpi          # points: the offset and any shift
        label.set_transform(offset_copy(self.ax.transData, fig=fig, x=shift_x, y=dy, units="points"))
        return box


def _joined(join: str, parts: list) -> str:
    """``parts`` joined, cut in the middle beyond :data:`JOIN_MOST`: the first ones, "…", the last."""
    shown = parts if len(parts) <= JOIN_MOST else parts[:JOIN_MOST - 1] + ["…", parts[-1]]
    return join.join(shown)


def _overlap(a: tuple, b: tuple) -> bool:
    """Whether two boxes ``(x0, y0, x1, y1)`` overlap (touching counts), as matplotlib's Bbox.overlaps."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _cells(box: tuple) -> list[tuple[int, int]]:
    return [(i, j) for i in range(int(box[0] // CELL), int(box[2] // CELL) + 1)
            for j in range(int(box[1] // CELL), int(box[3] // CELL) + 1)]
