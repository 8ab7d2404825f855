"""Writing a figure: PNG/PDF/SVG, byte-for-byte reproducible, SVG with a ``<title>`` per element.

Matplotlib writes an artist's gid as the ``id`` of its SVG group; :func:`write_figure` then puts the
artist's hover title (set with :func:`~sim.analysis.views.style.tip`) as the group's first child, so
hovering over a barrier in a browser says which barrier it is, and the HTML report and the player
can find elements by id.
"""
from __future__ import annotations

import io
import re
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = ["write_figure", "svg_text"]

_GROUP = re.compile(r'<g id="([^"]+)">')


def svg_text(fig) -> str:
    """The figure as SVG text with ``<title>`` elements (ids made unique in drawing order)."""
    import matplotlib

    titles = _unique_ids(fig)
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "snapsim", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})

    def titled(match) -> str:
        title = titles.get(match.group(1))
        return match.group(0) if title is None else f"{match.group(0)}\n   <title>{escape(title)}</title>"

    return _GROUP.sub(titled, buf.getvalue())


def _unique_ids(fig) -> dict[str, str]:
    """gid -> title for every titled artist, in the order the figure draws them; repeated gids get -2, -3."""
    from .style import clean_id

    seen: dict[str, int] = {}
    titles: dict[str, str] = {}
    for artist in fig.findobj(lambda a: hasattr(a, "snapsim_title")):
        gid = clean_id(artist.get_gid())
        seen[gid] = seen.get(gid, 0) + 1
        if seen[gid] > 1:
            gid = f"{gid}-{seen[gid]}"
        artist.set_gid(gid)
        titles[gid] = artist.snapsim_title
    return titles


def write_figure(fig, path) -> None:
    """Save ``fig`` by the file's suffix (.png at 150 dpi, .svg with titles, .pdf); no timestamps."""
    import matplotlib

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        path.write_text(svg_text(fig), encoding="utf-8")
    elif suffix in (".png", ".pdf"):
        with matplotlib.rc_context({"svg.hashsalt": "snapsim"}):
            fig.savefig(path, dpi=150, metadata={"Software": None} if suffix == ".png" else {"CreationDate": None})
    else:
        raise ValueError(f"{path}: expected a .png, .svg or .pdf file name")
