"""The license types are data files checked by a schema when loaded (app/reference/)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.reference import license_types
from app.reference.license_types import DATA, FILES, load


def copy_data(tmp_path: Path) -> Path:
    for name in FILES:
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_shipped_files_load() -> None:
    types = license_types.license_types()
    assert len(types) >= 166
    assert types[0].code == "resident-id-card"
    assert license_types.refs(["business-license", "nope"])["business-license"].name == "营业执照"


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("    issuer: gaj\n", "    issuer: gaj\n    colour: red\n", "colour"),
        ("type_code: 370200SF0001", "type_code: SF0001", "type_code"),
        ("holder_kind: person", "holder_kind: robot", "holder_kind"),
        ("type: date}", "type: datetime}", "type"),
        ("code: household-register", "code: resident-id-card", "code repeated"),
        ("label: 户号}", "label: ''}", "label"),
    ],
)
def test_a_file_that_breaks_the_schema_is_refused_at_load(
    tmp_path: Path, old: str, new: str, says: str
) -> None:
    directory = copy_data(tmp_path)
    edit(directory / "license_types_person.yaml", old, new)
    with pytest.raises(ValueError, match=says):
        load(directory)
