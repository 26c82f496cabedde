"""QR images of a short text (a verification address, a signed code), as PNG or SVG.

segno renders them: pure Python, no image library, and it picks the smallest QR version that
holds the text at the error-correction level asked for. Level M survives a scratched or
glare-struck phone screen at the counter, which is where these codes are scanned.
"""

from __future__ import annotations

import io
from typing import Literal

import segno

QrFormat = Literal["png", "svg"]
MEDIA_TYPES: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml"}
# Pixels per module, and the quiet zone the QR standard asks for (4 modules).
_SCALE = 6
_BORDER = 4


def render(text: str, image_format: QrFormat) -> bytes:
    """The QR image of `text`: a PNG, or an SVG document."""
    # make_qr never picks a Micro QR, which many phone scanners do not read.
    code = segno.make_qr(text, error="m", boost_error=False)
    buffer = io.BytesIO()
    code.save(buffer, kind=image_format, scale=_SCALE, border=_BORDER)
    return buffer.getvalue()
