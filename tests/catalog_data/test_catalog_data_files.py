"""The catalog's data files are checked by a schema when loaded (app/services/catalog/data/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from app.services.catalog.data import DATA, _templates, schema


def broken(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = (DATA / name).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / Path(name).name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "model", "old", "new", "says"),
    [
        (
            "key_services/housing_fund_withdraw.yaml",
            schema.ServicesFile,
            "    mode: auto\n",
            "    mode: auto\n    colour: red\n",
            "colour",
        ),
        (
            "key_services/housing_fund_withdraw.yaml",
            schema.ServicesFile,
            "mode: auto",
            "mode: fast",
            "mode",
        ),
        (
            "key_services/citizen.yaml",
            schema.ServicesFile,
            "type: object",
            "type: objekt",
            "no valid JSON Schema",
        ),
        (
            "key_services/enterprise.yaml",
            schema.ServicesFile,
            "category: 行政许可",
            "category: 许可",
            "category",
        ),
        ("templates/economy.yaml", schema.TemplatesFile, 'actions: "raw!a"', "actions: fly", "fly"),
        (
            "templates/economy.yaml",
            schema.TemplatesFile,
            'actions: "raw!a"',
            'actions: "raw!x"',
            "mode suffix",
        ),
        ("departments.yaml", schema.DepartmentsFile, "kind: municipal", "kind: private", "kind"),
        ("districts.yaml", schema.DistrictsFile, 'code: "370202"', 'code: "110101"', "code"),
        ("bundles.yaml", schema.BundlesFile, "unit: 海润自来水集团", "unit: ''", "unit"),
    ],
)
def test_a_file_that_breaks_the_schema_is_refused_at_load(
    tmp_path: Path, name: str, model: type[BaseModel], old: str, new: str, says: str
) -> None:
    path = broken(tmp_path, name, old, new)
    with pytest.raises(ValueError, match=says) as refused:
        schema.read(path, model)
    assert str(path) in str(refused.value)


def test_the_shipped_files_pass() -> None:
    for name, model in [
        ("departments.yaml", schema.DepartmentsFile),
        ("districts.yaml", schema.DistrictsFile),
        ("bundles.yaml", schema.BundlesFile),
        ("key_services/property.yaml", schema.ServicesFile),
        ("templates/utilities.yaml", schema.TemplatesFile),
    ]:
        assert schema.read(DATA / name, model)


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("    days: 20\n", "    days: 20\n    weeks: 4\n", "weeks"),
        ("mode: manual", "mode: slow", "mode"),
        ('zh: "{s}核发"', "zh: 核发", "zh"),
    ],
)
def test_an_actions_file_that_breaks_the_schema_is_refused_at_load(
    tmp_path: Path, old: str, new: str, says: str
) -> None:
    path = broken(tmp_path, "templates/actions.yaml", old, new)
    with pytest.raises(ValueError, match=says):
        _templates._load(path)
