"""The service catalog (事项清单): departments, districts, service items and bundles.

Reference data keyed by stable ASCII codes, written by the seeder (app/seed.py) and read by
everyone else. Codes are the primary keys: other domains and the public API refer to a service
as "gjj.withdraw.rent", never by a surrogate id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class Department(Base):
    """A department or body that provides services (a municipal bureau, a utility, a court)."""

    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300))
    # municipal | vertical | utility | judicial
    kind: Mapped[str] = mapped_column(String(16))
    # Unified social credit code: the issuer segment of the licenses it issues (GB/T 36904).
    # Nullable only so that the column could be added to a filled table; the seeder sets it.
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True, index=True)


class District(Base):
    """A county-level division of Qingdao, keyed by its GB/T 2260 code."""

    __tablename__ = "districts"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(100))


class Service(Base):
    """A service item (政务服务事项) a citizen or enterprise can apply for.

    Only what search lists lives here (what it scans is in `ServiceSearch`); the bulky rest
    (materials, form schema, …) is in `ServiceContent`.
    """

    __tablename__ = "services"

    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(400))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    # None: offered city-wide
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"), index=True)
    # auto (秒批 by rules) | instant (即办 by a clerk on the spot) | manual (reviewed)
    mode: Mapped[str] = mapped_column(String(16))
    time_limit_days: Mapped[int] = mapped_column(Integer)
    realname_level: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(50))
    # person | enterprise | both
    audience: Mapped[str] = mapped_column(String(16))
    # The license type an approval issues; its table belongs to app.certificates.
    produces_license: Mapped[str | None] = mapped_column(ForeignKey("license_types.code"))
    # The city-wide item a district copy belongs to (its own code for every other service):
    # search lists one result per family and picks the district copy the applicant needs.
    family_code: Mapped[str] = mapped_column(String(100), index=True, server_default="")


class ServiceSearch(Base):
    """What search scans: one narrow row per service family (a city-wide item stands for its
    district copies, which have the same text, department and mode).

    Six times fewer rows than `services` and nothing but what a search filters and ranks on,
    so that the substring scan, which no index serves for two-character Chinese terms, stays
    within a millisecond or two (bench/catalog_search.py).
    """

    __tablename__ = "service_search"

    code: Mapped[str] = mapped_column(ForeignKey("services.code"), primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    mode: Mapped[str] = mapped_column(String(16))
    # The name, aliases, and their full pinyin and initials, lower-cased and joined by
    # newlines (a search term never contains whitespace, so it cannot span two of them): a
    # match here ranks before a match in the keywords alone.
    title_text: Mapped[str] = mapped_column(Text)
    # The title text and the keywords: what a term must occur in.
    search_text: Mapped[str] = mapped_column(Text)
    # Position on the city's list of high-frequency services (高频事项, data/search/), 1 the
    # most asked for; services not on the list share FREQUENCY_UNLISTED and rank after them.
    frequency_rank: Mapped[int] = mapped_column(Integer)


FREQUENCY_UNLISTED = 1000


class ServicePopularity(Base):
    """How many applications were filed for a service family: the tiebreak of search.

    Counted from the applications by `qingeban services popularity` (run it from cron); kept
    apart from `services` so that re-seeding the catalog never resets it.
    """

    __tablename__ = "service_popularity"

    family_code: Mapped[str] = mapped_column(ForeignKey("services.code"), primary_key=True)
    applications_filed: Mapped[int] = mapped_column(Integer)


class ServiceContent(Base):
    """The bulky part of a service item, read only when one service is shown in full."""

    __tablename__ = "service_contents"

    service_code: Mapped[str] = mapped_column(ForeignKey("services.code"), primary_key=True)
    aliases: Mapped[list[str]] = mapped_column(JSON)
    keywords: Mapped[list[str]] = mapped_column(JSON)
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    form_schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text)


class Bundle(Base):
    """Linked services done in one go (一件事一次办), e.g. a house transfer and its utilities."""

    __tablename__ = "bundles"

    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(400))
    description: Mapped[str] = mapped_column(Text)


class BundleStep(Base):
    """One service of a bundle, at its position (1-based) and with the unit that carries it out."""

    __tablename__ = "bundle_steps"

    bundle_code: Mapped[str] = mapped_column(ForeignKey("bundles.code"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_code: Mapped[str] = mapped_column(ForeignKey("services.code"), index=True)
    unit: Mapped[str] = mapped_column(String(200))
