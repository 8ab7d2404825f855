"""The step-through player for notebooks: a time cursor over the timing diagram and the state.

``Player(trace)`` shows, for any instant, the timing diagram with a cursor and the state of every
subtask, partition and checkpoint at that instant (:mod:`sim.analysis.state`). In a notebook with
a live kernel it is an ipywidgets control: a slider over the run's event instants, a play button,
and "previous / next" buttons that step to the next barrier, snapshot, crash, restore or commit.
Without a kernel (a notebook saved as HTML, nbviewer) the same output falls back to matplotlib's
JavaScript animation of the key instants, which still plays; :meth:`Player.animation` gives it
directly. Everything shown is read from the trace.
"""
from __future__ import annotations

import bisect
import textwrap

from ..state import MOMENT_KINDS, Timeline
from .state_text import state_lines
from .svgmap import geometry, own_figure

__all__ = ["Player", "play"]

STEP_KINDS = ("event", *MOMENT_KINDS)


def play(trace, **kw) -> "Player":
    """A :class:`Player` for ``trace`` (display it, or call ``.widget()`` / ``.animation()``)."""
    return Player(trace, **kw)


class Player:
    """Step through a run (see the module docstring)."""

    def __init__(self, trace, frames: int = 12, dpi: int = 72) -> None:
        self.trace = trace
        self.timeline = Timeline(trace)
        self.times = self.timeline.times
        self.moments = {"event": self.times}
        self.moments.update(self.timeline.moment_times())
        self.max_frames, self.dpi = frames, dpi
        self._states: list[dict] | None = None
        self._picture = None

    # --- the model ---
    def state(self, t: float) -> dict:
        """The state at time ``t`` (that of the last event instant at or before ``t``)."""
        if self._states is None:
            self._states = self.timeline.states(self.times)
        i = bisect.bisect_right(self.times, t + 1e-9) - 1
        return self._states[max(i, 0)]

    def step(self, t: float, kind: str = "event", direction: int = 1) -> float | None:
        """The next (``direction`` 1) or previous (-1) instant of ``kind`` after/before ``t``."""
        if kind not in self.moments:
            raise ValueError(f"unknown step kind {kind!r}; expected one of {list(STEP_KINDS)}")
        times = self.moments[kind]
        if direction > 0:
            i = bisect.bisect_right(times, t + 1e-9)
            return times[i] if i < len(times) else None
        i = bisect.bisect_left(times, t - 1e-9)
        return times[i - 1] if i > 0 else None

    def text(self, t: float, width: int = 90) -> str:
        """The state panel at ``t`` as text (lines wrapped at ``width``)."""
        lines = state_lines(self.state(t), t)
        return "\n".join(textwrap.fill(line, width, subsequent_indent="      ") for line in lines)

    def frames(self) -> list[float]:
        """Instants of the fallback animation (:meth:`sim.analysis.state.Timeline.pick`)."""
        return self.timeline.pick(self.max_frames)

    # --- the picture ---
    def picture(self):
        """The timing diagram as a raster (drawn once) and its geometry (axes box, time span)."""
        if self._picture is None:
            import numpy as np
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            from .timing import timing_diagram

            # NOTE: a figure of its own with an Agg canvas attached: drawn to pixels without
            # pyplot and without switching the backend of the notebook or script that uses us
            fig = own_figure()
            FigureCanvasAgg(fig)
            timing_diagram(self.trace, ax=fig.add_subplot())
            fig.set_dpi(self.dpi)
            geo = geometry(fig, fig.axes[0])
            fig.canvas.draw()
            self._picture = (np.asarray(fig.canvas.buffer_rgba()).copy(), geo)
        return self._picture

    def draw(self, t: float) -> dict:
        """A figure: the diagram with a cursor at ``t``, the state panel under it; returns the artists.

        NOTE: the diagram is a raster placed pixel for pixel (``figimage``), so a frame of the
        animation costs a blit and a text, not a redraw of every arrow.
        """
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
        from matplotlib.transforms import IdentityTransform

        image, geo = self.picture()
        h, w = image.shape[:2]
        panel_h = int(self.dpi * 0.17 * (len(state_lines(self.state(self.times[-1] if self.times else 0))) + 8))
        fig = plt.figure(figsize=(w / self.dpi, (h + panel_h) / self.dpi), dpi=self.dpi)
        fig.figimage(image, xo=0, yo=panel_h, origin="upper")
        x = self._x(t, w, geo)
        cursor = fig.add_artist(Line2D([x, x], [panel_h, panel_h + h], color="#D55E00", lw=2,
                                       transform=IdentityTransform()))
        text = fig.text(0.01, panel_h / (h + panel_h) - 0.005, self.text(t, width=150), va="top", ha="left",
                        family="monospace", fontsize=8.5)
        return {"figure": fig, "cursor": cursor, "panel": text, "width": w, "offset": panel_h, "geo": geo}

    def _x(self, t: float, width: int, geo: dict) -> float:
        (x0, _, x1, _), (t0, t1) = geo["box"], geo["t"]
        return (x0 + (t - t0) / (t1 - t0) * (x1 - x0)) * width

    def animation(self):
        """A matplotlib animation over :meth:`frames` (``.to_jshtml()`` plays without a kernel)."""
        import matplotlib.pyplot as plt
        from matplotlib.animation import FuncAnimation

        frames = self.frames()
        drawn = self.draw(frames[0] if frames else 0.0)

        def update(t):
            x = self._x(t, drawn["width"], drawn["geo"])
            drawn["cursor"].set_xdata([x, x])
            drawn["panel"].set_text(self.text(t))
            return drawn["cursor"], drawn["panel"]

        anim = FuncAnimation(drawn["figure"], update, frames=frames, interval=1200, blit=False)
        plt.close(drawn["figure"])
        return anim

    def to_jshtml(self) -> str:
        """The fallback: an HTML animation with its own play controls (no kernel needed)."""
        return self.animation().to_jshtml(default_mode="once")

    def widget(self):
        """The live control (ipywidgets): slider, play, step buttons, diagram with cursor, state."""
        from .player_widget import build_widget
        return build_widget(self)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        # NOTE: a live frontend renders the widget view; one without the widget state (saved
        # HTML, nbviewer) falls back to the text/html animation, which carries its own script.
        bundle = {"text/plain": f"<Player: {len(self.times)} instants, {len(self.frames())} animation frames>",
                  "text/html": self.to_jshtml()}
        if _live_kernel():
            bundle.update(self.widget()._repr_mimebundle_(include=include, exclude=exclude))
        return bundle


def _live_kernel() -> bool:
    """Is this running in a Jupyter kernel that can show widgets?"""
    try:
        from IPython import get_ipython
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
