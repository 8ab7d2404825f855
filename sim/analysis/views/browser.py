"""Open a report page in a headless Chromium: its DOM after the script ran, or a screenshot.

Used by the browser test and by ``snapsim figures`` (the report screenshot in the README). No new
dependency: the browser is a program (Debian's ``chromium``) driven by its command-line switches,
and the page reads what to show from its URL fragment (``#t=152`` or ``#click=0.3,0.4``).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["find_browser", "dump_dom", "screenshot", "BrowserError"]

#: switches that keep a headless run quiet, offline and isolated
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=5000"]
_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class BrowserError(RuntimeError):
    """The browser is missing, failed or took too long."""


def find_browser() -> str | None:
    """The Chromium program to use: ``$SNAPSIM_BROWSER`` or the first one on PATH (None if none)."""
    named = os.environ.get("SNAPSIM_BROWSER")
    if named:
        return shutil.which(named)
    return next((p for p in map(shutil.which, _NAMES) if p), None)


def _run(args: list[str], timeout: float) -> str:
    browser = find_browser()
    if browser is None:
        raise BrowserError("no Chromium found (install Debian's 'chromium' or set SNAPSIM_BROWSER)")
    with tempfile.TemporaryDirectory(prefix="snapsim-chromium-") as profile:
        try:
            done = subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                                  text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise BrowserError(f"{browser} took more than {timeout:g} s") from None
    if done.returncode != 0:
        raise BrowserError(f"{browser} exited with {done.returncode}: {done.stderr.strip()[-500:]}")
    return done.stdout


def _url(page: Path, fragment: str) -> str:
    return Path(page).resolve().as_uri() + (f"#{fragment}" if fragment else "")


def dump_dom(page: Path, fragment: str = "", timeout: float = 60) -> str:
    """The page's DOM (serialised HTML) once its scripts ran, opened with ``#fragment``."""
    return _run(["--dump-dom", _url(page, fragment)], timeout)


def screenshot(page: Path, png: Path, fragment: str = "", size: tuple[int, int] = (1400, 1800),
               timeout: float = 60, trim: bool = False) -> Path:
    """Save a PNG of the page (window ``size`` in CSS pixels) opened with ``#fragment``; ``trim`` cuts
    the blank page under its content (take a window taller than the page: it ends where the page does)."""
    png = Path(png).resolve()
    _run([f"--window-size={size[0]},{size[1]}", f"--screenshot={png}", _url(page, fragment)], timeout)
    if not png.exists():
        raise BrowserError(f"the browser wrote no screenshot to {png}")
    if trim:
        _trim(png)
    return png


def _trim(png: Path, margin: int = 24) -> None:
    """Cut the white rows under the last non-white one (keeping ``margin`` pixels)."""
    from PIL import Image, ImageChops          # matplotlib's own dependency

    with Image.open(png) as im:
        image = im.convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    if box and box[3] + margin < image.height:
        image.crop((0, 0, image.width, box[3] + margin)).save(png, optimize=False)
