"""The hand-written key services, in a fixed order: housing fund, enterprise, citizen, property."""

from __future__ import annotations

from app.services.catalog.data.key_services_citizen import CITIZEN_KEY_SERVICES
from app.services.catalog.data.key_services_enterprise import ENTERPRISE_KEY_SERVICES
from app.services.catalog.data.key_services_housing_fund_account import (
    HOUSING_FUND_ACCOUNT_SERVICES,
)
from app.services.catalog.data.key_services_housing_fund_loan import HOUSING_FUND_LOAN_SERVICES
from app.services.catalog.data.key_services_housing_fund_withdraw import (
    HOUSING_FUND_WITHDRAW_SERVICES,
)
from app.services.catalog.data.key_services_property import PROPERTY_KEY_SERVICES
from app.services.catalog.data.seeds import ServiceSeed

HOUSING_FUND_SERVICES: tuple[ServiceSeed, ...] = (
    *HOUSING_FUND_WITHDRAW_SERVICES,
    *HOUSING_FUND_ACCOUNT_SERVICES,
    *HOUSING_FUND_LOAN_SERVICES,
)

KEY_SERVICES: tuple[ServiceSeed, ...] = (
    *HOUSING_FUND_SERVICES,
    *ENTERPRISE_KEY_SERVICES,
    *CITIZEN_KEY_SERVICES,
    *PROPERTY_KEY_SERVICES,
)

__all__ = ["HOUSING_FUND_SERVICES", "KEY_SERVICES"]
