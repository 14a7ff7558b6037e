"""A headless Chromium to look at a rendered report: its DOM as the browser built it, or a
screenshot. Used by the browser tests and to put a picture of the sample's report in docs/.

Chromium runs with a fresh, throw-away profile and without network features (no sync,
component updates or background requests), so a run leaves nothing behind and needs no
network; `--no-sandbox` lets it run as root in a container (it only opens our own file).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from journeymine.errors import JourneymineError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 120


class BrowserError(JourneymineError):
    """No Chromium to run, or Chromium failed to render the page."""


def find_chromium() -> str:
    """The path of the first Chromium on PATH; BrowserError naming what was looked for if none."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    raise BrowserError(f"no Chromium found on PATH; looked for {', '.join(CHROMIUM_NAMES)} "
                       "(Debian: apt-get install chromium)")


def screenshot(html_path: Path, png_path: Path, width: int = 1280, height: int = 2400) -> Path:
    """A PNG of the page as a width × height browser window shows it; returns png_path."""
    png_path = Path(png_path).resolve()
    png_path.parent.mkdir(parents=True, exist_ok=True)
    png_path.unlink(missing_ok=True)
    _run_chromium(html_path, [f"--screenshot={png_path}", f"--window-size={width},{height}", "--hide-scrollbars"])
    if not png_path.is_file() or png_path.stat().st_size == 0:
        raise BrowserError(f"Chromium wrote no screenshot of {html_path} to {png_path}")
    return png_path


def dump_dom(html_path: Path) -> str:
    """The page's DOM after loading, serialised as HTML."""
    return _run_chromium(html_path, ["--dump-dom"])


def _run_chromium(html_path: Path, arguments: list[str]) -> str:
    html_path = Path(html_path).resolve()
    if not html_path.is_file():
        raise BrowserError(f"no page to open: {html_path} does not exist")
    with tempfile.TemporaryDirectory(prefix="journeymine-chromium-") as profile:
        command = [
            find_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", *arguments, html_path.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired as exc:
            raise BrowserError(f"Chromium did not finish rendering {html_path} within {TIMEOUT_SECONDS} s") from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise BrowserError(f"Chromium failed on {html_path} (exit code {done.returncode}): {last}")
    return done.stdout
