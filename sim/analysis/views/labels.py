"""Labels that never overprint: placed at draw time, when their real size on the page is known.

A :class:`LabelLayer` is one artist on the axes that owns the picture's text labels. Each time the
figure is drawn (on screen, PNG, SVG, at any size) it measures every label with the renderer and
places them in priority order, trying each label's candidate offsets in turn; a label that finds no
free place, or whose anchor lies outside the visible time window, is hidden for that drawing. So
labels stay readable when the figure is resized, zoomed or cut to a window.
"""
from __future__ import annotations

__all__ = ["LabelLayer", "ABOVE", "BELOW", "AROUND"]

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
        self._items: list[tuple] = []          # (priority, seq, text, x, y, offsets)
        self.artist = _layer_class()(self)
        self.artist.set_zorder(30)
        ax.add_artist(self.artist)

    def add(self, x: float, y: float, text: str, offsets=ABOVE, priority: int = 5, **kw):
        """A label anchored at data (x, y); lower ``priority`` numbers are placed first."""
        from matplotlib.text import Text

        kw.setdefault("fontsize", self.size)
        label = Text(x, y, text, ha=kw.pop("ha", "left"), va=kw.pop("va", "baseline"), **kw)
        label.set_figure(self.ax.figure)
        label.set_clip_on(False)
        self._items.append((priority, len(self._items), label, x, y, tuple(offsets)))
        self.texts.append(label)
        return label

    def place(self, renderer) -> None:
        """Place every label (visible) or hide it; called by the figure at each draw."""
        from matplotlib.transforms import offset_copy

        ax, fig = self.ax, self.ax.figure
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        grid: dict[tuple[int, int], list] = {}     # 64-px cells -> boxes taken there (keeps this O(n))
        for _, _, label, x, y, offsets in sorted(self._items, key=lambda item: item[:2]):
            label.set_visible(x0 <= x <= x1 and y0 <= y <= y1)     # measured only while visible
            if not label.get_visible():
                continue
            for dx, dy in offsets:
                label.set_transform(offset_copy(ax.transData, fig=fig, x=dx, y=dy, units="points"))
                box = label.get_window_extent(renderer).expanded(1.04, 1.1)
                over = box.x1 - fig.bbox.x1 + 2                 # past the figure's right edge: shift left
                if over > 0:
                    dx -= over * 72 / fig.dpi
                    label.set_transform(offset_copy(ax.transData, fig=fig, x=dx, y=dy, units="points"))
                    box = label.get_window_extent(renderer).expanded(1.04, 1.1)
                cells = [(i, j) for i in range(int(box.x0 // 64), int(box.x1 // 64) + 1)
                         for j in range(int(box.y0 // 64), int(box.y1 // 64) + 1)]
                if not any(box.overlaps(other) for c in cells for other in grid.get(c, ())):
                    for c in cells:
                        grid.setdefault(c, []).append(box)
                    break
            else:
                label.set_visible(False)
