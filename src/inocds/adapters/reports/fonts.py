"""The Unicode fonts of every PDF: DejaVu Sans (Latin, Greek, Cyrillic, m², °C, ≥) with
Droid Sans Fallback behind it for Chinese, Japanese and Korean names.

Both come from Debian packages (fonts-dejavu-core, fonts-droid-fallback) that
`scripts/ensure-fonts` installs (`make run` and `make test` call it). The directories
searched can be changed with `INOCDS_FONT_DIRS` (colon-separated). A missing font is
a `FontsMissing` error naming the package to install, never a PDF with "?" for a name.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

__all__ = ["FAMILY", "FONT_FILES", "FontsMissing", "font_paths", "install_fonts"]

FAMILY = "Sans"
"""The family name the documents use."""
_FALLBACK = "SansCJK"

FONT_FILES = {
    "regular": ("DejaVuSans.ttf", "fonts-dejavu-core"),
    "bold": ("DejaVuSans-Bold.ttf", "fonts-dejavu-core"),
    "cjk": ("DroidSansFallbackFull.ttf", "fonts-droid-fallback"),
}
"""Font role -> (file name, Debian package)."""

_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/droid",
    "/usr/share/fonts/truetype",
    "/usr/local/share/fonts",
)


class FontsMissing(RuntimeError):
    """A font file of the documents is not installed (the message says how to install it)."""


def _search_dirs() -> tuple[Path, ...]:
    extra = os.environ.get("INOCDS_FONT_DIRS", "")
    return tuple(Path(d) for d in [*extra.split(":"), *_DIRS] if d)


@functools.cache
def _find(name: str, dirs: tuple[Path, ...]) -> Path | None:
    for directory in dirs:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def font_paths() -> dict[str, Path]:
    """Role -> font file; raises FontsMissing naming every missing package."""
    dirs = _search_dirs()
    found: dict[str, Path] = {}
    missing: list[str] = []
    for role, (name, package) in FONT_FILES.items():
        path = _find(name, dirs)
        if path is None:
            missing.append(f"{name} ({package})")
        else:
            found[role] = path
    if missing:
        raise FontsMissing(
            "the PDF fonts are not installed: "
            + ", ".join(missing)
            + ". Run scripts/ensure-fonts (or apt-get install fonts-dejavu-core "
            "fonts-droid-fallback)."
        )
    return found


def install_fonts(pdf: Any) -> None:
    """Registers the family on an FPDF document, with the CJK font as its fallback."""
    paths = font_paths()
    pdf.add_font(FAMILY, "", str(paths["regular"]))
    pdf.add_font(FAMILY, "B", str(paths["bold"]))
    pdf.add_font(_FALLBACK, "", str(paths["cjk"]))
    pdf.set_fallback_fonts([_FALLBACK], exact_match=False)
