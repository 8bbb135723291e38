"""Make docs/assets/html-report.png: a real HTML duplicate report in headless Chromium.

    .venv/bin/python docs/tools/screenshot.py            # or: make docs-screenshot

1. ``textwash dedup examples/sample_dump.txt --html build/docs-shot/sample_dump.dup.html``
   (the command `make demo` runs, through the installed ``textwash``);
2. Debian's ``chromium --headless --screenshot`` of that page, 1280 pixels wide, in
   the light theme, scrollbars hidden.

The PNG is committed, so building the site needs no browser; run this again when the
report's page changes.  Needs ``chromium`` (``apt-get install chromium``) and a font
with Chinese characters (Debian's ``fonts-wqy-microhei`` or ``fonts-noto-cjk``).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sample_dump.txt"
OUT = ROOT / "docs" / "assets" / "html-report.png"


def make_report(folder: Path) -> Path:
    """Run ``textwash dedup`` on the bundled sample; return the HTML page's path."""
    page = folder / "sample_dump.dup.html"
    textwash = Path(sys.executable).with_name("textwash")
    cmd = [
        str(textwash),
        "dedup",
        str(SAMPLE.relative_to(ROOT)),
        "--html",
        str(page),
        "--no-progress",
        "-q",
    ]
    subprocess.run(cmd, check=True, cwd=ROOT)
    return page


def screenshot(page: Path, out: Path, width: int, height: int) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="textwash-shot-") as profile:
        cmd = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--blink-settings=preferredColorScheme=1",  # light
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            f"--screenshot={out}",
            page.resolve().as_uri(),
        ]
        subprocess.run(
            cmd,
            check=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    if not out.exists() or out.stat().st_size == 0:
        sys.exit(f"chromium wrote no screenshot to {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args(argv)
    folder = ROOT / "build" / "docs-shot"
    folder.mkdir(parents=True, exist_ok=True)
    page = make_report(folder)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    screenshot(page, args.out, args.width, args.height)
    print(
        f"{args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}: "
        f"{args.out.stat().st_size:,} bytes, from {page.relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
