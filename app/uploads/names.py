"""The original file name, made safe to show and to offer back in a download.

The name is the client's and only ever displayed: any path is dropped, control and reserved
characters go, and the extension is made to match the type the bytes were found to be, so that
a PNG named `x.html` is never saved back to a disk as a page a browser would run. A scan is
often named after what it shows (`身份证370202….jpg`, `银行卡6222….png`): ID, phone and account
numbers in the name are masked, so that none is kept in clear with the upload.
"""

from __future__ import annotations

import re
import unicodedata

from app.kit.masking import mask_identifiers

MAX_LENGTH = 120
_RESERVED = re.compile(r'[\\/:*?"<>|;\x00-\x1f\x7f]')
_SPACES = re.compile(r"\s+")
# Spellings of an extension that stand for the same type.
_ALIASES = {".jpg": {".jpg", ".jpeg"}}


def safe_file_name(given: str | None, extension: str) -> str:
    """A display name from the client's `given` one, ending in `extension` (e.g. ".pdf")."""
    name = unicodedata.normalize("NFC", given or "")
    name = re.split(r"[\\/]", name)[-1]  # a browser may send the whole local path
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = mask_identifiers(_SPACES.sub(" ", _RESERVED.sub("_", name)).strip(" ."))
    stem, dot, suffix = name.rpartition(".")
    if dot and f".{suffix.lower()}" in _ALIASES.get(extension, {extension}):
        name = stem  # put back below, in its usual spelling
    name = name.rstrip(" .")[: MAX_LENGTH - len(extension)] or "upload"
    return name + extension
