"""The live (ipywidgets) face of :class:`sim.analysis.views.player.Player`.

A play button and a slider over the run's event instants, a "step to" menu (event, barrier,
snapshot, crash, restore, commit) with previous / next buttons, and below them the timing diagram
(inline SVG, so hovering shows what each mark is) with a cursor, beside the state panel.
"""
from __future__ import annotations

import bisect
import html

from .svgmap import timing_svg

__all__ = ["build_widget"]

_STYLE = ("<style>.snapsim-player svg{width:100%;height:auto;display:block}"
          ".snapsim-player pre{font-size:11px;line-height:1.25;margin:0;white-space:pre-wrap}</style>")


def _diagram_html(svg: str, geo: dict, t: float) -> str:
    (x0, _, x1, _), (t0, t1) = geo["box"], geo["t"]
    left = 100 * (x0 + (t - t0) / (t1 - t0) * (x1 - x0))
    return (f'{_STYLE}<div class="snapsim-player" style="position:relative">{svg}'
            f'<div style="position:absolute;top:0;bottom:0;left:{left:.3f}%;border-left:2px solid #D55E00;'
            f'pointer-events:none"></div></div>')


def build_widget(player):
    """The ipywidgets control of ``player``; ``.controls`` names its parts (for tests and tinkering)."""
    import ipywidgets as W

    from .player import STEP_KINDS

    svg, geo = timing_svg(player.trace)
    times = player.times
    slider = W.IntSlider(min=0, max=max(len(times) - 1, 0), readout=False, continuous_update=True,
                         layout=W.Layout(width="50%"))
    play = W.Play(min=0, max=max(len(times) - 1, 0), interval=700)
    W.jslink((play, "value"), (slider, "value"))
    label = W.Label()
    kind = W.Dropdown(options=list(STEP_KINDS), value="barrier", description="step to", layout=W.Layout(width="16em"))
    prev, nxt = W.Button(description="◀ previous"), W.Button(description="next ▶")
    diagram = W.HTML(layout=W.Layout(width="62%"))
    panel = W.HTML(layout=W.Layout(width="38%"))

    def show(i: int) -> None:
        t = times[i] if times else 0.0
        label.value = f"t = {t:g} ms"
        diagram.value = _diagram_html(svg, geo, t)
        panel.value = _STYLE + f'<div class="snapsim-player"><pre>{html.escape(player.text(t, width=64))}</pre></div>'

    def go(direction: int) -> None:
        t = player.step(times[slider.value], kind.value, direction) if times else None
        if t is not None:
            slider.value = bisect.bisect_left(times, t)

    slider.observe(lambda change: show(change["new"]), names="value")
    prev.on_click(lambda _button: go(-1))
    nxt.on_click(lambda _button: go(1))
    show(0)
    box = W.VBox([W.HBox([play, slider, label]), W.HBox([kind, prev, nxt]), W.HBox([diagram, panel])])
    box.controls = {"slider": slider, "play": play, "label": label, "kind": kind, "previous": prev, "next": nxt,
                    "diagram": diagram, "panel": panel}
    return box
