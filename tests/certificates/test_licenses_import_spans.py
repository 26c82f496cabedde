"""The NDJSON blocks the importer's checking processes read for themselves (`Span`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.certificates import import_rows
from app.certificates.import_rows import Span, UnusableFile


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_each_block_read_again_from_its_span_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bom: bytes
) -> None:
    monkeypatch.setattr(import_rows, "_BLOCK_BYTES", 64)
    lines = [f'{{"n": {n}, "name": "{"李" * (n % 7)}"}}' for n in range(200)]
    lines[50] = "x" * 300  # a line longer than a block
    path = tmp_path / "rows.ndjson"
    path.write_bytes(bom + "\n".join(lines).encode("utf-8"))  # the last line unterminated
    with import_rows.open_source(path, "ndjson") as source:
        blocks = list(import_rows.chunks(source, "ndjson", 2000))
    assert len(blocks) > 10
    found = []
    for block in blocks:
        assert isinstance(block, import_rows.Block)
        again = Span.of(path, block).read()
        assert (again.first_line, again.data) == (block.first_line, block.data)
        found.extend(again.lines())
    assert found == list(enumerate(lines, start=1))


def test_a_file_cut_short_meanwhile_stops_the_import(tmp_path: Path) -> None:
    path = tmp_path / "rows.ndjson"
    path.write_bytes(b'{"n": 1}\n{"n": 2}\n')
    span = Span(str(path), 9, 9, 2)
    assert span.read().data == b'{"n": 2}\n'
    path.write_bytes(b'{"n": 1}\n')
    with pytest.raises(UnusableFile):
        span.read()
