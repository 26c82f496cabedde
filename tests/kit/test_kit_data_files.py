"""The data files' loader: libyaml's when PyYAML has it, reading every shipped file as the pure
loader does; and a process reads the files requests consult at start-up, not in a request."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.config import Settings
from app.db import Database
from app.kit.data_files import SafeLoader, read_yaml
from app.main import create_app
from app.notifications import templates as message_templates
from app.reference import license_types
from app.services.applications import field_sources, material_sources

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "app").rglob("*.yaml"))


def test_the_loader_is_libyamls_and_safe(tmp_path: Path) -> None:
    assert yaml.__with_libyaml__, "PyYAML without libyaml: the data files load five times slower"
    assert SafeLoader is yaml.CSafeLoader
    tagged = tmp_path / "tagged.yaml"
    tagged.write_text("!!python/object/apply:os.system ['true']", encoding="utf-8")
    with pytest.raises(yaml.constructor.ConstructorError):
        read_yaml(tagged)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_every_shipped_file_reads_as_the_pure_loader_reads_it(path: Path) -> None:
    assert read_yaml(path) == yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)


def test_there_are_shipped_files_to_compare() -> None:
    assert len(SHIPPED) >= 40


async def test_start_up_reads_the_files_requests_consult(
    settings: Settings, database: Database
) -> None:
    readers = [
        license_types.license_types,
        field_sources.sources_table,
        material_sources._file,
        message_templates.templates,
    ]
    for reader in readers:
        reader.cache_clear()
    app = create_app(settings, database=database)
    async with app.router.lifespan_context(app):
        assert [reader.cache_info().currsize for reader in readers] == [1, 1, 1, 1]
