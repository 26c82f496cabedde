"""What a file is, from its first bytes (magic numbers) alone.

The client's Content-Type and file name are its claims, and a claim is all an attacker needs to
make an HTML page pass for a PDF. Only the bytes are believed, and only the three formats a
material is scanned or photographed in are accepted.
"""

from __future__ import annotations

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    # SOI followed by the first marker's 0xFF: every JFIF, Exif and raw JPEG starts so.
    (b"\xff\xd8\xff", JPEG),
)

EXTENSIONS: dict[str, str] = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg"}

# The longest signature: how many leading bytes `content_type` needs.
HEAD_BYTES = max(len(magic) for magic, _ in _SIGNATURES)


def content_type(head: bytes) -> str | None:
    """The media type of a file starting with `head`, if it is one of PDF, PNG and JPEG."""
    for magic, media_type in _SIGNATURES:
        if head.startswith(magic):
            return media_type
    return None
