"""Helpers of the browser tests: viewport sizes, Chromium's flags and a PNG check.

The portal fixtures themselves (`app_client`, `live_settings`, `live_server`, `_browser`, `browser_page`) live
in tests/conftest.py, defined once for the whole suite: a second definition of the session-wide browser
fixture would start a second Playwright in the same process, which Playwright refuses.
"""

from __future__ import annotations

import struct
import zlib

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}


def png_stats(data: bytes) -> tuple[int, int, float]:
    """(width, height, share of non-zero bytes in the filtered pixel stream) of a PNG, with zlib only.

    A uniform image filters to (almost) all zeros, so the share is near 0 for a blank screenshot and
    clearly above it for a page with text, borders and colour.
    """
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, width, height, idat = 8, 0, 0, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    return width, height, (len(raw) - raw.count(0)) / len(raw)
