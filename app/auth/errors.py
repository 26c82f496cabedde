"""Failures of the identity domain.

Two families: `AppError`s, answered as problem+json by the API (the admin routes included),
and `OAuthError`s, answered by the OAuth endpoints as RFC 6749 error JSON
(`{"error", "error_description"}`), which is what every OAuth client library expects.
"""

from __future__ import annotations

from typing import ClassVar

from app.errors import (
    AppError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    Unauthorized,
)

BEARER_REALM = 'Bearer realm="qingeban"'


class MissingToken(Unauthorized):
    code = "auth.unauthenticated"
    title_zh = "请先登录"
    title_en = "Authentication required"

    def __init__(self) -> None:
        super().__init__(
            "请求须携带有效的访问令牌（Authorization: Bearer …）",
            "send a valid access token (Authorization: Bearer …)",
            headers={"WWW-Authenticate": BEARER_REALM},
        )


class InvalidToken(Unauthorized):
    code = "auth.invalid_token"
    title_zh = "访问令牌无效或已过期"
    title_en = "Invalid or expired access token"

    def __init__(self) -> None:
        super().__init__(
            "访问令牌无效、已过期或已被撤销",
            "the access token is invalid, expired or revoked",
            headers={"WWW-Authenticate": f'{BEARER_REALM}, error="invalid_token"'},
        )


class InsufficientScope(Forbidden):
    code = "auth.insufficient_scope"
    title_zh = "访问令牌的授权范围不足"
    title_en = "Insufficient scope"

    def __init__(self, *scopes: str) -> None:
        needed = " ".join(scopes)
        super().__init__(
            f"需要授权范围：{needed}",
            f"this needs the scope(s): {needed}",
            extra={"required_scope": needed},
            headers=_scope_challenge(needed),
        )


class ScopeMissing(Forbidden):
    """A person's token from a client that may not act for them in the citizen API: neither
    the platform's own app nor granted the scope (app.auth.guards.require_citizen_api)."""

    code = "auth.scope_missing"
    title_zh = "该应用无权代表本人办理"
    title_en = "This client may not act for the signed-in person"

    def __init__(self, scope: str) -> None:
        super().__init__(
            f"只有青e办 App，或经平台授予 {scope} 授权范围并经本人同意的应用，才能代表本人办理",
            f"only the platform's app, or a client granted the scope {scope!r} that the person"
            " consented to, may act for the person here",
            extra={"required_scope": scope},
            headers=_scope_challenge(scope),
        )


def _scope_challenge(needed: str) -> dict[str, str]:
    # RFC 6750 §3.1: which scope would do, so that a client can ask the person for it.
    return {"WWW-Authenticate": f'{BEARER_REALM}, error="insufficient_scope", scope="{needed}"'}


class RoleRequired(Forbidden):
    code = "auth.role_required"
    title_zh = "当前身份无权执行此操作"
    title_en = "Your role does not allow this"


# What a route that needs a caller can answer; for `responses=error_responses(*AUTH_ERRORS)`.
AUTH_ERRORS: tuple[type[AppError], ...] = (
    MissingToken,
    InvalidToken,
    InsufficientScope,
    RoleRequired,
)
# What a route of the citizen API can answer (its caller must be allowed to act for the person).
CITIZEN_AUTH_ERRORS: tuple[type[AppError], ...] = (*AUTH_ERRORS, ScopeMissing)


class LoginFailed(AppError):
    """One answer for every failed login, so that nobody learns whether an account exists."""

    status = 400
    code = "auth.login_failed"
    title_zh = "登录失败"
    title_en = "Sign-in failed"
    keeps_changes = True

    def __init__(self) -> None:
        super().__init__(
            "账号、密码或验证码不正确，或尝试次数过多，请稍后再试",
            "wrong login, password or code, or too many attempts; try again later",
        )


class TooManyAttempts(RateLimited):
    """Too many requests from one client address (says nothing about any account)."""

    code = "auth.rate_limited"
    title_zh = "操作过于频繁，请稍后再试"
    title_en = "Too many attempts; try again later"


class InvalidPhoneNumber(InvalidInput):
    code = "auth.invalid_phone"
    title_zh = "手机号码格式不正确"
    title_en = "Not a mainland mobile number"


class InvalidIdNumber(InvalidInput):
    code = "auth.invalid_id_number"
    title_zh = "身份证号码不正确"
    title_en = "Invalid resident ID number"


class WeakPassword(InvalidInput):
    code = "auth.weak_password"
    title_zh = "密码强度不足"
    title_en = "Password too weak"


class PhoneTaken(Conflict):
    code = "auth.phone_taken"
    title_zh = "该手机号已注册"
    title_en = "This phone number already has an account"


class IdNumberTaken(Conflict):
    code = "auth.id_number_taken"
    title_zh = "该身份证号已绑定其他账号"
    title_en = "This ID number belongs to another account"


class AccountNotFound(NotFound):
    code = "auth.account_not_found"
    title_zh = "账号不存在"
    title_en = "Account not found"


class StaffLoginTaken(Conflict):
    code = "auth.staff_login_taken"
    title_zh = "该工作人员账号已存在"
    title_en = "This staff login is taken"


class StaffNotFound(NotFound):
    code = "auth.staff_not_found"
    title_zh = "工作人员不存在"
    title_en = "Staff member not found"


class ClientNotFound(NotFound):
    code = "auth.client_not_found"
    title_zh = "客户端不存在"
    title_en = "Client not found"


class InvalidClient(InvalidInput):
    code = "auth.invalid_client_registration"
    title_zh = "客户端注册信息不合法"
    title_en = "Invalid client registration"


class ClientNotAllowed(Forbidden):
    code = "auth.client_not_allowed"
    title_zh = "该客户端不允许此操作"
    title_en = "This client may not do this"


class SmsUnavailable(ServiceUnavailable):
    code = "auth.sms_unavailable"
    title_zh = "短信服务暂不可用"
    title_en = "SMS service unavailable"


class DemoOnly(NotFound):
    code = "auth.demo_only"
    title_zh = "仅演示环境可用"
    title_en = "Available in demo mode only"


class NoSigningKeyAvailable(ServiceUnavailable):
    code = "auth.no_signing_key"
    title_zh = "签名密钥缺失，暂无法签发令牌"
    title_en = "No signing key; tokens cannot be issued"


class KeyRotationTooSoon(Conflict):
    code = "auth.key_rotation_too_soon"
    title_zh = "下一把密钥发布时间不足，暂不能轮换"
    title_en = "The next key has not been published long enough"


class InvalidOtp(AppError):
    """A registration's SMS code is wrong or spent; the attempt counts (it keeps its writes)."""

    status = 400
    code = "auth.otp_invalid"
    title_zh = "短信验证码错误或已失效"
    title_en = "The SMS code is wrong or has expired"
    keeps_changes = True


class RealnameMismatch(InvalidInput):
    """Public security says the name and ID number do not belong together."""

    code = "auth.realname_mismatch"
    title_zh = "姓名与身份证号码不一致"
    title_en = "The name does not match the ID number"
    # The SMS code spent on the attempt stays spent: no free retries against the check.
    keeps_changes = True


class FaceNotVerified(InvalidInput):
    code = "auth.face_not_verified"
    title_zh = "人脸核验未通过"
    title_en = "Face verification failed"
    keeps_changes = True


class RealnameLevelRequired(Forbidden):
    code = "auth.realname_level_required"
    title_zh = "请先完成实名认证"
    title_en = "A higher real-name level is needed"


class RealnameUnavailable(ServiceUnavailable):
    """The department that answers real-name checks did not answer in time."""

    code = "auth.realname_unavailable"
    title_zh = "实名核验服务暂不可用"
    title_en = "Real-name verification is unavailable"
    # The attempt was a read of the person's data: its data-access log record stays.
    keeps_changes = True


class ActingNotAllowed(Forbidden):
    code = "auth.acting_not_allowed"
    title_zh = "无权代表该企业办理"
    title_en = "You may not act for this enterprise"


class EnterpriseNotRegistered(ActingNotAllowed):
    """Market regulation's register does not hold the enterprise; answered as ActingNotAllowed
    unless the person founded it on the platform (auth.people.act_for_enterprise)."""


class OAuthError(Exception):
    """An RFC 6749 / OpenID Connect error, answered as `{"error", "error_description"}`."""

    status: ClassVar[int] = 400

    def __init__(self, error: str, description: str, *, status: int | None = None) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status_code = status or self.status


def invalid_request(description: str) -> OAuthError:
    """A missing, repeated or malformed parameter."""
    return OAuthError("invalid_request", description)


def invalid_client(description: str = "client authentication failed") -> OAuthError:
    """Unknown client, wrong secret, or no authentication where one is needed (401)."""
    return OAuthError("invalid_client", description, status=401)


def invalid_grant(description: str) -> OAuthError:
    """A code or refresh token that is invalid, expired, revoked, reused or not this client's."""
    return OAuthError("invalid_grant", description)


def invalid_scope(description: str) -> OAuthError:
    """A scope that is unknown or not allowed for the client."""
    return OAuthError("invalid_scope", description)


def unauthorized_client(description: str) -> OAuthError:
    """The client may not use this grant type or response type."""
    return OAuthError("unauthorized_client", description)


def unsupported_grant_type(description: str) -> OAuthError:
    """A grant type the provider does not support."""
    return OAuthError("unsupported_grant_type", description)
