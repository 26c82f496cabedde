"""The first-party API of the mobile app and the mini-program: SMS codes, login, real-name
registration, face verification, acting for an enterprise, and the citizen's own data.

`POST /api/v1/auth/login` answers exactly what `POST /oauth/token` answers (the app is the
first-party public client `qingeban-app`), so its tokens refresh, revoke and introspect at the
OAuth endpoints like any other.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.adapters.schemas import DataAccessRead
from app.audit.dependencies import AuditContextDep
from app.auth import service as auth
from app.auth.dependencies import CITIZEN_AUTH_ERRORS, ClientAddress, CurrentCitizen
from app.auth.errors import (
    ActingNotAllowed,
    ClientNotAllowed,
    FaceNotVerified,
    IdNumberTaken,
    InvalidIdNumber,
    InvalidOtp,
    InvalidPhoneNumber,
    LoginFailed,
    PhoneTaken,
    RealnameLevelRequired,
    RealnameMismatch,
    RealnameUnavailable,
    SmsUnavailable,
    TooManyAttempts,
    WeakPassword,
)
from app.auth.schemas import (
    ActAsRequest,
    ActingTokenResponse,
    FaceVerificationRequest,
    LoginRequest,
    MeRead,
    OtpRequest,
    PasswordLogin,
    PersonAccountRead,
    Registration,
    SmsCodeSent,
    TokenResponse,
)
from app.config import API_V1
from app.dependencies import SessionDep, SettingsDep
from app.errors import InvalidCursor, error_responses
from app.kit.pagination import Page

router = APIRouter(prefix=API_V1, tags=["identity"])


@router.post(
    "/auth/otp",
    response_model=SmsCodeSent,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send an SMS code",
    responses=error_responses(InvalidPhoneNumber, TooManyAttempts, SmsUnavailable),
)
async def send_otp(
    data: OtpRequest, session: SessionDep, settings: SettingsDep, address: ClientAddress
) -> SmsCodeSent:
    """Text a 6-digit code, valid 5 minutes for 5 attempts, to a phone (for login or
    registration). Whether the phone has an account is not revealed; codes are limited per
    phone and per client address."""
    return await auth.send_sms_code(session, settings, phone=data.phone, client_address=address)


@router.post(
    "/auth/login",
    response_model=TokenResponse,
    response_model_exclude_none=True,
    status_code=status.HTTP_200_OK,
    summary="Log in (password or SMS code)",
    responses=error_responses(LoginFailed, TooManyAttempts, ClientNotAllowed),
)
async def login(
    data: LoginRequest, session: SessionDep, settings: SettingsDep, address: ClientAddress
) -> TokenResponse:
    """Log in with `{"method": "password", "login", "password"}` or `{"method": "sms_otp",
    "phone", "otp"}`; the answer is the OpenID Connect token response (access, refresh and ID
    token). Every failure is the same `auth.login_failed`; repeated failures lock the account."""
    if isinstance(data, PasswordLogin):
        verified = await auth.verify_password_login(
            session, settings, login=data.login, password=data.password, client_address=address
        )
    else:
        verified = await auth.verify_sms_login(
            session, settings, phone=data.phone, otp=data.otp, client_address=address
        )
    return await auth.issue_tokens(
        session, settings, client_id=auth.FIRST_PARTY_APP_ID, login=verified, scope=data.scope
    )


@router.post(
    "/auth/register",
    response_model=PersonAccountRead,
    status_code=status.HTTP_201_CREATED,
    summary="Real-name registration",
    responses=error_responses(
        InvalidOtp,
        InvalidPhoneNumber,
        InvalidIdNumber,
        WeakPassword,
        RealnameMismatch,
        PhoneTaken,
        IdNumberTaken,
        TooManyAttempts,
        RealnameUnavailable,
    ),
)
async def register(
    data: Registration,
    session: SessionDep,
    settings: SettingsDep,
    address: ClientAddress,
    audit_context: AuditContextDep,
) -> PersonAccountRead:
    """Create an account at real-name level L2: the phone proven by its SMS code, the name and
    ID number matched by public security (a department read, in the data-access log). A
    taken phone or ID number is refused before anything is spent; a mismatch creates nothing;
    the department being unavailable is a 503 to retry later with a new code (one code buys
    one identity check). It takes no Idempotency-Key and needs none: it cannot create twice,
    and a retry after a lost answer is told the phone is registered (409), to sign in."""
    return await auth.register_person(
        session, settings, data, client_address=address, audit_context=audit_context
    )


@router.post(
    "/auth/face-verification",
    response_model=PersonAccountRead,
    status_code=status.HTTP_200_OK,
    summary="Face verification (real-name level L3)",
    responses=error_responses(
        *CITIZEN_AUTH_ERRORS, RealnameLevelRequired, FaceNotVerified, RealnameUnavailable
    ),
)
async def face_verification(
    data: FaceVerificationRequest,
    citizen: CurrentCitizen,
    session: SessionDep,
    settings: SettingsDep,
    audit_context: AuditContextDep,
) -> PersonAccountRead:
    """Raise an L2 citizen to L3 when public security finds the selfie live and matching."""
    return await auth.verify_face(
        session, settings, citizen, selfie_token=data.selfie_token, audit_context=audit_context
    )


@router.post(
    "/auth/act-as",
    response_model=ActingTokenResponse,
    status_code=status.HTTP_200_OK,
    summary="Act for an enterprise",
    responses=error_responses(
        *CITIZEN_AUTH_ERRORS,
        RealnameLevelRequired,
        ActingNotAllowed,
        ClientNotAllowed,
        RealnameUnavailable,
    ),
)
async def act_as(
    data: ActAsRequest,
    citizen: CurrentCitizen,
    session: SessionDep,
    settings: SettingsDep,
    audit_context: AuditContextDep,
) -> ActingTokenResponse:
    """An access token whose `sub` is the enterprise's USCC and whose `act` names the citizen;
    only for its legal representative or an authorised agent, per market regulation."""
    return await auth.act_for_enterprise(
        session, settings, citizen, uscc=data.uscc, audit_context=audit_context
    )


@router.get(
    "/me",
    response_model=MeRead,
    status_code=status.HTTP_200_OK,
    summary="My verified attributes",
    responses=error_responses(*CITIZEN_AUTH_ERRORS),
)
async def get_me(citizen: CurrentCitizen, session: SessionDep, settings: SettingsDep) -> MeRead:
    """The signed-in person's phone, name and ID number, unmasked (they are theirs), each with
    the source that verified it and when, and the real-name level."""
    return await auth.me(session, settings, citizen)


@router.get(
    "/me/data-access-log",
    response_model=Page[DataAccessRead],
    status_code=status.HTTP_200_OK,
    summary="Who read my data",
    responses=error_responses(*CITIZEN_AUTH_ERRORS, InvalidCursor),
)
async def my_data_access_log(
    citizen: CurrentCitizen,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[DataAccessRead]:
    """Every read of the person's data from a department: who (system, clerk or service),
    which dataset, for what purpose and case, when, and the outcome. Newest first."""
    return await auth.my_data_access_log(session, citizen, cursor=cursor, limit=limit)
