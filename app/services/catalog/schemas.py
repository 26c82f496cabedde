"""Response shapes of the service catalog."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from app.reference.license_types import LicenseTypeRef

ApprovalMode = Literal["auto", "instant", "manual"]
Audience = Literal["person", "enterprise", "both"]
DepartmentKind = Literal["municipal", "vertical", "utility", "judicial"]


class DepartmentRef(BaseModel):
    """A department, named."""

    code: str = Field(examples=["gjj"])
    name: str = Field(examples=["青岛市住房公积金管理中心"])
    name_en: str


class DepartmentRead(DepartmentRef):
    """A department and how many services it offers."""

    kind: DepartmentKind
    service_count: int


class DistrictRef(BaseModel):
    """A district of Qingdao (GB/T 2260 code)."""

    code: str = Field(examples=["370211"])
    name: str = Field(examples=["黄岛区"])
    name_en: str


class DistrictRead(DistrictRef):
    """A district and how many district-level services it offers (city-wide ones excluded)."""

    service_count: int


class DistrictCopy(BaseModel):
    """The same service handled by one district's office: apply with this code there."""

    code: str = Field(examples=["xzsp.t009.370211"])
    district: DistrictRef


class ServiceSummary(BaseModel):
    """A service item as listed in search results."""

    code: str = Field(examples=["gjj.withdraw.rent"])
    name: str
    name_en: str
    department: DepartmentRef
    district: DistrictRef | None = Field(
        description="The district whose office handles this code; null: the city-wide item"
    )
    district_copies: list[DistrictCopy] = Field(
        default_factory=list,
        description="Every district that handles this service too, each with its own code; "
        "search lists the service once and picks the copy of the applicant's district",
    )
    mode: ApprovalMode = Field(
        description="auto: approved in seconds by rules (秒批); instant: decided on the spot "
        "(即办); manual: reviewed by a clerk"
    )
    time_limit_days: int = Field(description="Statutory time limit in working days (0: same day)")
    realname_level: int = Field(description="1 phone, 2 name and ID matched, 3 face verified")
    produces_license: LicenseTypeRef | None = Field(
        description="The e-license an approval issues, if any"
    )


class ServicePage(BaseModel):
    """One page of search results."""

    items: list[ServiceSummary]
    next_cursor: str | None = None
    total: int = Field(description="How many services match the query, over all pages")


class MaterialRead(BaseModel):
    """A document an application needs."""

    code: str
    name: str
    name_en: str
    required: bool
    license_type: str | None = Field(
        description="An e-license of this type satisfies the material without an upload"
    )


class BundleMembership(BaseModel):
    """A bundle a service is a step of."""

    code: str
    name: str
    name_en: str
    position: int


class ServiceDetail(ServiceSummary):
    """Everything about a service item: materials, form, mode, time limit, bundles."""

    category: str = Field(examples=["行政给付"])
    audience: Audience
    aliases: list[str]
    keywords: list[str]
    description: str
    materials: list[MaterialRead]
    form_schema: dict[str, Any] = Field(description="JSON Schema of the application form")
    bundles: list[BundleMembership]


class BundleStepRead(BaseModel):
    """One step of a bundle."""

    position: int = Field(description="1-based order of the step")
    unit: str = Field(description="The unit that carries the step out")
    service: ServiceSummary


class BundleRef(BaseModel):
    """A bundle, named."""

    code: str = Field(examples=["house-transfer"])
    name: str
    name_en: str
    description: str
    step_count: int


class BundleRead(BundleRef):
    """Linked services done in one go (一件事一次办) and their ordered steps."""

    steps: list[BundleStepRead]


class CatalogSummary(BaseModel):
    """Counts of the catalog, for the front page and the city-brain screen."""

    departments: int
    districts: int
    services: int = Field(description="Service items, each district's copy counted")
    distinct_services: int = Field(
        description="Services counted once however many districts handle them: what search lists"
    )
    services_by_mode: dict[str, int] = Field(examples=[{"auto": 1, "instant": 2, "manual": 3}])
    bundles: int
    license_types: int
