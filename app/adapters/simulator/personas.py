"""Named demo personas: chosen population indices whose facts are overridden on purpose."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from app.adapters.simulator import facts
from app.adapters.simulator.enterprises import hygiene_permit, school_licence
from app.adapters.simulator.identity import is_male_index
from app.adapters.simulator.names import OTHER_REGIONS
from app.adapters.simulator.population import FUND_ACCOUNT_PREFIX, anniversary, retirement_age
from app.adapters.simulator.records import (
    CommercialLoan,
    Death,
    DeedTax,
    Education,
    Household,
    HousingFund,
    HousingLoan,
    LeaseFiling,
    MedicalInsurance,
    Pension,
    Person,
    PublicRentalLease,
    PurchaseContract,
    Sex,
    SocialInsurance,
)
from app.kit.regions import QINGDAO_DISTRICTS

if TYPE_CHECKING:
    from app.adapters.simulator.population import Population

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - a published demo password, shared by all personas
HYGIENE_PERMIT_DAYS = 30
KINDERGARTEN_LICENCE_DAYS = 45


@dataclass(frozen=True, slots=True)
class Persona:
    """A demo login and the scenarios it makes reachable."""

    key: str
    name: str
    login: str
    password: str
    id_number: str
    index: int
    scenarios: tuple[str, ...]
    enterprise_uscc: str | None = None


@dataclass(frozen=True, slots=True)
class _Spec:
    key: str
    name: str
    sex: Sex
    ages: range
    scenarios: tuple[str, ...]
    enterprise: str | None = None


_SPECS: tuple[_Spec, ...] = (
    _Spec("renter", "王晓明", "male", range(26, 40), ("Housing-fund withdrawal for renting: eligible / 租房提取公积金:符合条件",)),  # noqa: E501
    _Spec("flat_owner", "李娜", "female", range(30, 45), ("Housing-fund withdrawal for renting: refused, owns a flat in Qingdao / 租房提取公积金:在青岛有住房,不符合",)),  # noqa: E501
    _Spec("talent", "张思远", "male", range(25, 40), ("Talent settlement: master's degree, social insurance, household outside Qingdao / 人才落户:符合条件",)),  # noqa: E501
    _Spec("printer", "刘建国", "male", range(25, 55), ("Legal representative of a printing enterprise / 印刷企业法定代表人",), "printing"),  # noqa: E501
    _Spec("hygiene", "陈丽", "female", range(25, 55), (f"Public-place hygiene permit expires in {HYGIENE_PERMIT_DAYS} days / 公共场所卫生许可证{HYGIENE_PERMIT_DAYS}天后到期",), "salon"),  # noqa: E501
    _Spec("kindergarten", "杨秀英", "female", range(25, 55), (f"Kindergarten licence expires in {KINDERGARTEN_LICENCE_DAYS} days / 幼儿园办学许可证{KINDERGARTEN_LICENCE_DAYS}天后到期",), "kindergarten"),  # noqa: E501
    _Spec("active_pensioner", "赵德明", "male", range(66, 80), ("Pension qualification: certified by activity signals / 养老金资格认证:活动信号充分,无感认证",)),  # noqa: E501
    _Spec("silent_pensioner", "孙桂英", "female", range(66, 80), ("Pension qualification: no activity signals, needs a selfie / 养老金资格认证:无活动信号,需刷脸",)),  # noqa: E501
    _Spec("deceased_pensioner", "周福海", "male", range(72, 85), ("Pension qualification: deceased, cremation recorded, household cancelled / 养老金资格认证:已死亡,已火化,户籍已注销",)),  # noqa: E501
    _Spec("seller", "吴海涛", "male", range(35, 58), ("Second-hand flat: seller, owns a flat with utility accounts / 二手房卖方,名下房产带水电气暖等户号",)),  # noqa: E501
    _Spec("buyer", "郑雪", "female", range(26, 40), ("Second-hand flat: buyer, no property in Qingdao / 二手房买方,在青岛无房",)),  # noqa: E501
    _Spec("defaulter", "黄志强", "male", range(30, 55), ("On the court's judgment-defaulter list / 法院失信被执行人",)),  # noqa: E501
    _Spec("criminal_record", "马俊", "male", range(25, 50), ("No-criminal-record certificate refused: has a record / 无犯罪记录证明:有犯罪记录",)),  # noqa: E501
    _Spec("homebuyer", "林晓燕", "female", range(27, 40), ("Housing-fund withdrawal for a new home: purchase contract filed online / 购房提取公积金:商品房合同已网签备案",)),  # noqa: E501
    _Spec("resale_buyer", "何志伟", "male", range(30, 45), ("Housing-fund withdrawal for a second-hand home: transfer registered, deed tax paid / 二手房提取公积金:已过户并缴契税",)),  # noqa: E501
    _Spec("retiree", "高玉兰", "female", range(61, 70), ("Housing-fund withdrawal on retirement; loan settlement certificate / 退休提取公积金;公积金贷款结清证明",)),  # noqa: E501
    _Spec("borrower", "罗建华", "male", range(32, 50), ("Housing-fund loan: repay, prepay, settle, change terms, cancel the monthly-repayment agreement / 公积金贷款:还贷提取、提前还款、结清、变更、解约",)),  # noqa: E501
    _Spec("low_income", "梁秀珍", "female", range(35, 54), ("Housing-fund withdrawal while on the subsistence allowance / 享受低保提取公积金",)),  # noqa: E501
    _Spec("gig_worker", "宋子豪", "male", range(25, 45), ("Flexibly employed: closing withdrawal, re-registration, account transfer / 灵活就业:销户提取、缴存登记、账户转移",)),  # noqa: E501
    _Spec("public_tenant", "谢丽娟", "female", range(26, 45), ("Housing-fund withdrawal for public rental housing rent / 公租房租金提取公积金",)),  # noqa: E501
    _Spec("new_hire", "唐浩然", "male", range(22, 30), ("New employee: opens a housing-fund account / 新入职:设立公积金个人账户",)),  # noqa: E501
    _Spec("new_mother", "冯晓琳", "female", range(25, 35), ("Newborn bundle: the mother files birth certificate, household registration, medical insurance and social-security card at once, zero uploads / 新生儿出生一件事:母亲申请,零上传",)),  # noqa: E501
    _Spec("new_father", "韩磊", "male", range(26, 38), ("Newborn bundle: the father confirms the mother's application in his own app / 新生儿出生一件事:父亲在本人账户确认",)),  # noqa: E501
)  # fmt: skip

_ENTERPRISES: dict[str, dict[str, Any]] = {
    "printing": {
        "name": "青岛墨香印刷有限公司",
        "industry": "印刷",
        "business_scope": "包装装潢印刷品印刷;其他印刷品印刷;出版物印刷",
    },
    "salon": {
        "name": "青岛海韵美容美发有限公司",
        "industry": "美容美发",
        "business_scope": "美容服务;理发服务;公共场所卫生许可经营项目",
    },
    "kindergarten": {
        "name": "青岛市小太阳幼儿园",
        "industry": "学前教育",
        "business_scope": "学前教育(全日制幼儿园)",
    },
}

Overrides = dict[int, dict[str, Any]]


def _scan(population: Population, start: int, fits: Callable[[Person], bool]) -> Person:
    for step in range(population.size):
        person = population.computed_person((start + step * 7919) % population.size)
        if fits(person):
            return person
    raise LookupError("no person in the population fits this persona")


def _fits_firm(population: Population, enterprise: int, sex: Sex) -> bool:
    representative = population.legal_representative(enterprise)
    return population.enterprise_active(enterprise) and is_male_index(representative) == (
        sex == "male"
    )


def build_personas(population: Population) -> tuple[tuple[Persona, ...], Overrides, Overrides]:
    """Choose persona indices deterministically and return them with their overrides."""
    as_of = population.as_of
    people: Overrides = {}
    firms: Overrides = {}
    firm_of: dict[str, int] = {}
    taken: set[int] = set()

    for offset, kind in enumerate(_ENTERPRISES):
        enterprise = (population.enterprise_count // 3 + offset * 101) % population.enterprise_count
        sex = next(spec.sex for spec in _SPECS if spec.enterprise == kind)
        while not _fits_firm(population, enterprise, sex) or enterprise in firm_of.values():
            enterprise = (enterprise + 1) % population.enterprise_count
        firm_of[kind] = enterprise
        firms[enterprise] = {**_ENTERPRISES[kind], "status": "存续", "abnormal_operation": False}
        firms[enterprise]["tax_credit_rating"] = "A"
        firms[enterprise]["licences"] = ()
    salon, kindergarten, printing = firm_of["salon"], firm_of["kindergarten"], firm_of["printing"]
    firms[salon]["licences"] = (hygiene_permit(salon, as_of + timedelta(HYGIENE_PERMIT_DAYS)),)
    firms[kindergarten]["licences"] = (
        school_licence(kindergarten, as_of + timedelta(KINDERGARTEN_LICENCE_DAYS)),
    )

    personas = []
    for number, spec in enumerate(_SPECS):
        if spec.enterprise is not None:
            base = population.computed_person(
                population.legal_representative(firm_of[spec.enterprise])
            )
        else:
            base = _scan(
                population,
                1009 * (number + 1),
                lambda p, spec=spec: (  # type: ignore[misc]
                    p.sex == spec.sex
                    and p.age_on(as_of) in spec.ages
                    and p.alive
                    and p.spouse_index is None
                    and p.index not in taken
                    and population.represented_enterprise(p.index) is None
                ),
            )
        taken.add(base.index)
        people[base.index] = {
            "name": spec.name,
            "court_defaulter": False,
            "criminal_record": False,
            **_facts_for(spec.key, base, population, printing),
        }
        personas.append(
            Persona(
                key=spec.key,
                name=spec.name,
                login=base.phone,
                password=DEMO_PASSWORD,
                id_number=base.id_number,
                index=base.index,
                scenarios=spec.scenarios,
                enterprise_uscc=(
                    None
                    if spec.enterprise is None
                    else population.enterprise(firm_of[spec.enterprise]).uscc
                ),
            )
        )
    return tuple(personas), people, firms


def _account(base: Person) -> str:
    return f"{FUND_ACCOUNT_PREFIX}{base.index:010d}"


def _employed(base: Person, employer: int, months: int) -> dict[str, Any]:
    insurance = SocialInsurance(True, employer, months + 24, months, 9000)
    account = _account(base)
    fund = HousingFund(account, employer, months, 2160, 2160 * months, None, None,
                       facts.bound_card(account))  # fmt: skip
    return {"employer_index": employer, "social_insurance": insurance, "housing_fund": fund}


def _sealed_fund(base: Person, balance: int, loan: HousingLoan | None = None) -> HousingFund:
    """An account no employer pays into any more (封存), with what was saved (at 2,160 a
    month)."""
    account = _account(base)
    return HousingFund(account, None, 0, 0, balance, None, loan, facts.bound_card(account),
                       months_deposited=balance // 2160)  # fmt: skip


def _recent_home(base: Person, population: Population, days: int) -> Any:
    (home,) = _own_home(base, population)
    return replace(home, acquired_on=population.as_of - timedelta(days=days))


def _own_home(base: Person, population: Population) -> tuple[Any, ...]:
    # Same dwelling key as the computed address, so the deed and the residence agree.
    key = f"person-{base.index}"
    home = facts.dwelling_property(population.seed, key, base.district_code, population.as_of)
    return (home,)


def _local(base: Person) -> Household:
    district = base.id_number[:6]
    return Household(True, district, "山东省青岛市" + QINGDAO_DISTRICTS[district], None)


def _facts_for(key: str, base: Person, population: Population, employer: int) -> dict[str, Any]:
    as_of = population.as_of
    if key == "renter":
        # He rents a flat whose lease his landlord filed with the housing bureau.
        lease = LeaseFiling(
            f"ZLBA{as_of.year}{base.index:08d}", "山东省青岛市市南区香港中路10号3单元501户",
            as_of - timedelta(days=83), as_of + timedelta(days=282), 3_200,
        )  # fmt: skip
        return {**_employed(base, employer, 36), "properties": (), "household": _local(base),
                "lease_filings": (lease,)}  # fmt: skip
    if key == "buyer":
        return {**_employed(base, employer, 36), "properties": (), "household": _local(base)}
    if key == "flat_owner":
        # Her flat is mortgaged to a bank (a commercial loan, registered with the real-estate
        # centre): she may withdraw to repay it, and sign the monthly-repayment agreement.
        homes = _own_home(base, population)
        loan = CommercialLoan(f"JSYH{homes[0].acquired_on.year}{base.index:08d}",
                              "中国建设银行青岛分行", 900_000, homes[0].acquired_on,
                              homes[0].certificate_number)  # fmt: skip
        return {**_employed(base, employer, 60), "properties": homes, "commercial_loans": (loan,)}
    if key == "talent":
        region, place = OTHER_REGIONS[1]
        degree = Education(
            "master", "中国海洋大学", "海洋科学", base.birth_date.year + 25, "104232019000123"
        )
        return {
            **_employed(base, employer, 12),
            "education": degree,
            "household": Household(False, region, place, None),
            "properties": (),
        }
    if key in ("active_pensioner", "silent_pensioner", "deceased_pensioner"):
        retired = anniversary(base.birth_date, retirement_age(base.index))
        signals: dict[str, Any] = {
            "employer_index": None,
            "social_insurance": SocialInsurance(True, None, 360, 0, 6000),
            "pension": Pension(True, retired, 4200),
            "household": _local(base),
        }
        if key == "active_pensioner":
            claim, bus = as_of - timedelta(days=6), as_of - timedelta(days=2)
            return {
                **signals,
                "medical_insurance": MedicalInsurance(True, claim),
                "bus_card_last_use": bus,
            }
        if key == "silent_pensioner":
            return {
                **signals,
                "medical_insurance": MedicalInsurance(True, None),
                "bus_card_last_use": None,
            }
        died = as_of - timedelta(days=40)
        death = Death(died, died + timedelta(days=3), "青岛市殡仪馆")
        return {
            **signals,
            "death": death,
            "household": replace(_local(base), cancelled_on=death.cremated_on),
            "medical_insurance": MedicalInsurance(True, died - timedelta(days=20)),
            "bus_card_last_use": died - timedelta(days=25),
        }
    if key == "seller":
        return {"properties": _own_home(base, population)}
    return _housing_facts(key, base, population, employer)


def _housing_facts(key: str, base: Person, population: Population, employer: int) -> dict[str, Any]:
    """The personas of the housing fund's 秒批 services, each with the records one needs."""
    as_of = population.as_of
    if key == "homebuyer":
        contract = PurchaseContract(
            f"QDWQ{as_of.year}{base.index:08d}", as_of - timedelta(days=20), 2_350_000,
            "山东省青岛市崂山区海尔路66号滨海花园3号楼2单元1201户",
        )  # fmt: skip
        return {**_employed(base, employer, 36), "properties": (),
                "purchase_contracts": (contract,), "household": _local(base)}  # fmt: skip
    if key == "resale_buyer":
        home = _recent_home(base, population, 30)
        tax = DeedTax(f"QS{as_of.year}{base.index:010d}", as_of - timedelta(days=35), 1_800_000,
                      home.address)  # fmt: skip
        return {**_employed(base, employer, 48), "properties": (home,), "deed_taxes": (tax,)}
    if key == "retiree":
        retired = anniversary(base.birth_date, retirement_age(base.index))
        loan = HousingLoan(f"GJJ2012{base.index:09d}", 300_000, date(2012, 5, 1), 0,
                           settled_on=as_of - timedelta(days=400))  # fmt: skip
        return {
            "employer_index": None, "pension": Pension(True, retired, 3800),
            "social_insurance": SocialInsurance(True, None, 380, 0, 6500),
            "housing_fund": _sealed_fund(base, 96_000, loan), "household": _local(base),
            "properties": _own_home(base, population),
        }  # fmt: skip
    if key == "borrower":
        employed = _employed(base, employer, 60)
        start = as_of - timedelta(days=6 * 365)
        loan = HousingLoan(f"GJJ{start.year}{base.index:09d}", 600_000, start, 41_200)
        fund = replace(employed["housing_fund"], loan=loan, repayment_agreement=True)
        return {**employed, "housing_fund": fund, "properties": _own_home(base, population)}
    if key == "low_income":
        return {"employer_index": None, "subsistence_allowance": True, "properties": (),
                "social_insurance": SocialInsurance(True, None, 96, 0, 3500),
                "housing_fund": _sealed_fund(base, 8_640)}  # fmt: skip
    if key == "gig_worker":
        return {"employer_index": None, "flexibly_employed": True, "properties": (),
                "social_insurance": SocialInsurance(True, None, 60, 0, 5000),
                "housing_fund": _sealed_fund(base, 25_920)}  # fmt: skip
    if key == "public_tenant":
        lease = PublicRentalLease(
            f"GZF{as_of.year - 1}{base.index:08d}", as_of - timedelta(days=200),
            as_of + timedelta(days=530), 9_600, "山东省青岛市李沧区永平路29号公租房5号楼301户",
        )  # fmt: skip
        return {**_employed(base, employer, 24), "properties": (), "public_rental_lease": lease}
    if key == "new_hire":
        insurance = SocialInsurance(True, employer, 2, 2, 7000)
        return {"employer_index": employer, "social_insurance": insurance,
                "housing_fund": HousingFund(None, None, 0, 0, 0, None, None)}  # fmt: skip
    if key in ("new_mother", "new_father"):
        # Both live and are insured in Qingdao: the newborn is registered in their household.
        return {**_employed(base, employer, 48), "household": _local(base)}
    if key == "defaulter":
        return {"court_defaulter": True}
    if key == "criminal_record":
        return {"criminal_record": True}
    return {}


def personas_json(population: Population) -> list[dict[str, Any]]:
    """Return the personas as JSON-ready dicts for `qingeban demo personas`."""
    result = []
    for persona in population.personas:
        item: dict[str, Any] = {
            "key": persona.key,
            "name": persona.name,
            "login": persona.login,
            "password": persona.password,
            "id_number": persona.id_number,
            "scenarios": list(persona.scenarios),
        }
        if persona.enterprise_uscc is not None:
            enterprise = population.find_enterprise(persona.enterprise_uscc)
            assert enterprise is not None
            item["enterprise"] = {"name": enterprise.name, "uscc": enterprise.uscc}
        result.append(item)
    return result
