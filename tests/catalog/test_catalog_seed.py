"""Seeding the reference data: fast, idempotent, and an upsert by code on re-runs."""

from __future__ import annotations

import dataclasses

from app import migrate
from app.db import Database
from app.seed import ReferenceData, bundled_reference_data, seed_reference_data
from app.services.catalog import service as catalog
from app.services.catalog.data.seeds import ServiceSeed
from app.services.catalog.schemas import CatalogSummary


async def counts(database: Database) -> CatalogSummary:
    async with database.session(write=False) as session:
        return await catalog.summary(session)


async def empty_catalog(database: Database) -> None:
    """Take the catalog migration back and forth: its tables are then empty."""
    await migrate.downgrade(database.engine, "0002")
    await migrate.upgrade(database.engine)


async def test_seeding_twice_gives_the_same_rows_quickly(database: Database) -> None:
    await empty_catalog(database)
    assert (await counts(database)).services == 0

    first = await seed_reference_data(database)
    after_first = await counts(database)
    second = await seed_reference_data(database)
    after_second = await counts(database)

    assert after_first == after_second
    assert after_first.services >= 7000
    assert after_first.license_types >= 166
    assert first["services"].inserted == after_first.services
    assert first.changed
    assert not second.changed
    assert second["services"].unchanged == after_first.services
    # Generous bounds (the benchmark tracks the real figure); a row-by-row seeder misses them.
    assert first.seconds < 15
    assert second.seconds < 15


async def test_reseeding_updates_changed_rows_adds_new_ones_and_prunes_steps(
    database: Database,
) -> None:
    bundled = bundled_reference_data()
    services = list(bundled.services)
    index = next(i for i, s in enumerate(services) if s.code == "gjj.withdraw.rent")
    services[index] = dataclasses.replace(services[index], name="租房提取住房公积金（新名称）")
    services.append(
        ServiceSeed(
            code="gjj.test.added",
            name="测试新增事项",
            name_en="A service added by a later seed",
            department="gjj",
            mode="manual",
            time_limit_days=5,
            realname_level=2,
            category="公共服务",
            audience="person",
        )
    )
    bundle = bundled.bundles[0]
    shorter = dataclasses.replace(bundle, steps=bundle.steps[:3])
    before = await counts(database)

    report = await seed_reference_data(
        database, ReferenceData(**{**vars(bundled), "services": services, "bundles": [shorter]})
    )

    assert report["services"].inserted == 1
    assert report["services"].updated == 1
    assert report["departments"].updated == 0
    every_step = sum(len(b.steps) for b in bundled.bundles)
    assert report["bundle_steps"].pruned == every_step - 3
    assert (await counts(database)).services == before.services + 1
    async with database.session(write=False) as session:
        renamed = await catalog.get_service(session, "gjj.withdraw.rent")
        found = await catalog.search_services(session, q="新名称")
        steps = await catalog.get_bundle(session, bundle.code)
    assert renamed.name == "租房提取住房公积金（新名称）"
    assert [item.code for item in found.items] == ["gjj.withdraw.rent"]
    assert [step.service.code for step in steps.steps] == [s.service for s in bundle.steps[:3]]
