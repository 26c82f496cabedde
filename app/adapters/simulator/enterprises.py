"""Synthetic enterprises: registration, tax rating and licences, derived from their index."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from app.adapters.simulator import facts
from app.adapters.simulator.draw import Draw
from app.adapters.simulator.names import HYGIENE_INDUSTRIES, INDUSTRIES, TRADE_NAMES
from app.adapters.simulator.records import (
    Enterprise,
    EnterpriseStatus,
    Licence,
    TaxCreditRating,
)
from app.kit.regions import QINGDAO_DISTRICTS

if TYPE_CHECKING:
    from app.adapters.simulator.identity import IdentityCodec
    from app.adapters.simulator.population import Population

_DISTRICTS = tuple(QINGDAO_DISTRICTS)
_CAPITALS = (10, 30, 50, 100, 200, 500, 1000, 5000)
_RATINGS: tuple[TaxCreditRating, ...] = ("A", "B", "M", "C", "D")
_RATING_CUMULATIVE = (25, 75, 90, 97, 100)
_EARLIEST = date(1995, 1, 1)
_PERMIT_YEARS = 4


def hygiene_permit(index: int, expires_on: date) -> Licence:
    """A public-place hygiene permit (公共场所卫生许可证) valid for four years."""
    issued = expires_on - timedelta(days=_PERMIT_YEARS * 365)
    return Licence(
        "public_place_hygiene",
        f"青卫公字〔{issued.year}〕第{index:06d}号",
        issued,
        expires_on,
    )


def school_licence(index: int, expires_on: date) -> Licence:
    """A private-school operating licence (民办学校办学许可证), as kindergartens hold."""
    issued = expires_on - timedelta(days=5 * 365)
    return Licence("private_school", f"教民13702{index:010d}号", issued, expires_on)


def build_enterprise(population: Population, codec: IdentityCodec, index: int) -> Enterprise:
    """Compute enterprise `index` of a population (without persona overrides)."""
    draw = Draw(population.seed, "enterprise", index)
    district = draw.pick(_DISTRICTS)
    industry, scope = draw.pick(INDUSTRIES)
    trade = draw.pick(TRADE_NAMES) + draw.pick(TRADE_NAMES)
    status: EnterpriseStatus = "存续"
    if not population.enterprise_active(index):
        status = "注销" if draw.chance(0.7) else "吊销"
    established = _EARLIEST + timedelta(days=draw.below(30 * 365))
    licences: tuple[Licence, ...] = ()
    if industry in HYGIENE_INDUSTRIES and status == "存续":
        expires = population.as_of + timedelta(days=60 + draw.below(1400))
        licences = (hygiene_permit(index, expires),)
    return Enterprise(
        index=index,
        uscc=codec.uscc(index, district),
        name=f"青岛{trade}{industry}有限公司",
        industry=industry,
        legal_representative=population.legal_representative(index),
        registered_capital=10_000 * draw.pick(_CAPITALS),
        established_on=established,
        status=status,
        business_scope=scope,
        district_code=district,
        address=facts.address(population.seed, f"enterprise-{index}", district),
        abnormal_operation=draw.chance(0.03),
        tax_credit_rating=draw.weighted(_RATINGS, _RATING_CUMULATIVE),
        licences=licences,
    )
