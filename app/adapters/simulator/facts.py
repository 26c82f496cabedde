"""Per-person facts derived from a Draw; each function owns one department's source of truth."""

from __future__ import annotations

from datetime import date

from app.adapters.simulator.draw import Draw
from app.adapters.simulator.names import (
    ESTATE_PREFIXES,
    ESTATE_WORDS,
    MAJORS,
    SCHOOLS_HIGHER,
    SCHOOLS_SECONDARY,
    SCHOOLS_VOCATIONAL,
    STREETS,
)
from app.adapters.simulator.records import (
    DEGREE_RANK,
    BankCard,
    Degree,
    Education,
    HousingFund,
    HousingLoan,
    Property,
    SocialInsurance,
    UtilityAccounts,
)
from app.kit.regions import QINGDAO_DISTRICTS

_GRADUATION_AGE: dict[Degree, int] = {
    "high_school": 18,
    "associate": 21,
    "bachelor": 22,
    "master": 25,
    "doctorate": 28,
}
# Cumulative percentage thresholds of the highest degree for people under 55.
_DEGREE_THRESHOLDS: tuple[tuple[int, Degree], ...] = (
    (10, "none"),
    (45, "high_school"),
    (62, "associate"),
    (88, "bachelor"),
    (97, "master"),
    (100, "doctorate"),
)


def address(seed: int, key: str, district_code: str) -> str:
    """Return the street address of a dwelling identified by a stable key."""
    draw = Draw(seed, "dwelling", key)
    street = draw.pick(STREETS[district_code])
    estate = draw.pick(ESTATE_PREFIXES) + draw.pick(ESTATE_WORDS)
    building, unit = 1 + draw.below(30), 1 + draw.below(4)
    room = (1 + draw.below(28)) * 100 + 1 + draw.below(4)
    return (
        f"山东省青岛市{QINGDAO_DISTRICTS[district_code]}{street}{1 + draw.below(300)}号"
        f"{estate}{building}号楼{unit}单元{room}户"
    )


def utilities(seed: int, key: str) -> UtilityAccounts:
    """Return the utility accounts of a dwelling; utilities key accounts by address."""
    draw = Draw(seed, "utilities", key)
    return UtilityAccounts(
        water=f"SW{draw.below(10**10):010d}",
        power=f"{draw.below(10**10):010d}",
        gas=f"RQ{draw.below(10**9):09d}",
        heat=f"RL{draw.below(10**8):08d}",
        catv=f"GD{draw.below(10**8):08d}",
        broadband=f"KD{draw.below(10**10):010d}",
        citycard=f"BM{draw.below(10**9):09d}",
    )


def dwelling_property(seed: int, key: str, district_code: str, as_of: date) -> Property:
    """Return the registered property of a dwelling (certificate, area, utilities)."""
    draw = Draw(seed, "property", key)
    acquired = draw.days_before(as_of, 25 * 365)
    return Property(
        certificate_number=f"鲁({acquired.year})青岛市不动产权第{draw.below(10**7):07d}号",
        address=address(seed, key, district_code),
        district_code=district_code,
        area_m2=round(45 + draw.below(1000) / 10, 1),
        acquired_on=acquired,
        mortgaged=draw.chance(0.35),
        utilities=utilities(seed, key),
    )


def education(draw: Draw, birth: date, age: int) -> Education:
    """Return the highest degree on record, consistent with age."""
    roll = draw.below(100)
    if age >= 55:
        roll = roll * 7 // 10
    degree: Degree = next(d for limit, d in _DEGREE_THRESHOLDS if roll < limit)
    # Nobody holds a degree before the age at which it is usually awarded.
    while degree != "none" and age < _GRADUATION_AGE[degree]:
        degree = _DEGREE_THRESHOLDS[DEGREE_RANK[degree] - 1][1]
    if degree == "none":
        return Education("none", None, None, None, None)
    year = birth.year + _GRADUATION_AGE[degree]
    if degree == "high_school":
        return Education(degree, draw.pick(SCHOOLS_SECONDARY), None, year, None)
    school = draw.pick(SCHOOLS_VOCATIONAL if degree == "associate" else SCHOOLS_HIGHER)
    diploma = f"{10000 + draw.below(90000)}{year}{draw.below(10**6):06d}"
    return Education(degree, school, draw.pick(MAJORS), year, diploma)


def social_insurance(draw: Draw, employer: int | None, age: int, retired: bool) -> SocialInsurance:
    """Return pension-insurance contributions; only the employed have consecutive months."""
    working_months = max(12, (age - 20) * 12)
    base = 100 * (40 + draw.below(210))
    if employer is not None:
        total = 1 + draw.below(min(working_months, 420))
        consecutive = 1 + draw.below(min(total, 120))
        return SocialInsurance(True, employer, total, consecutive, base)
    if retired:
        return SocialInsurance(True, None, 180 + draw.below(240), 0, base)
    if draw.chance(0.5):
        return SocialInsurance(True, None, 1 + draw.below(min(working_months, 240)), 0, base)
    return SocialInsurance(False, None, 0, 0, 0)


def housing_fund(
    draw: Draw, index: int, insurance: SocialInsurance, owns_home: bool, as_of: date
) -> HousingFund:
    """Return the housing-fund account; it is paid by the same employer as social insurance."""
    if insurance.employer_index is None or not draw.chance(0.8):
        return HousingFund(None, None, 0, 0, 0, None, None)
    consecutive = min(insurance.consecutive_months, 1 + draw.below(120))
    deposit = insurance.monthly_base * 24 // 100
    balance = deposit * (consecutive + draw.below(60))
    withdrawal = draw.days_before(as_of, 1000) if draw.chance(0.35) else None
    loan = None
    if owns_home and draw.chance(0.35):
        amount = 10_000 * (20 + draw.below(80))
        start = draw.days_before(as_of, 15 * 365)
        loan = HousingLoan(f"GJJ{start.year}{index:09d}", amount, start, amount // 2)
    account = f"37020{index:010d}"
    return HousingFund(
        account, insurance.employer_index, consecutive, deposit, balance, withdrawal, loan,
        bound_card(account),
    )  # fmt: skip


_BANKS = (
    "中国工商银行青岛分行",
    "中国建设银行青岛分行",
    "中国银行青岛分行",
    "青岛银行",
    "交通银行青岛分行",
)


def bound_card(account_number: str) -> BankCard:
    """The debit card the fund centre pays an account's withdrawals to (a stream of its own,
    so that the person's other draws stay as they were)."""
    draw = Draw("bank-card", account_number)
    return BankCard(draw.pick(_BANKS), f"6222{draw.below(10**15):015d}")
