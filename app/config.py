"""Settings, read from `QE_*` environment variables (and `.env` when present)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, IPvAnyNetwork, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.kit.workdays import Calendar

# The secret a fresh checkout runs with. Anything derived from it is public knowledge, which is
# why a production start refuses it.
# Every versioned route lives under this prefix; routers carry it themselves so that each
# route's template (logs, metrics) is its full public path.
API_V1 = "/api/v1"

DEMO_SECRET_KEY = "qingeban-demo-secret-do-not-use-in-production"  # noqa: S105
# What the simulated courier signs its webhooks with (app/adapters/simulator/courier.py).
DEMO_COURIER_WEBHOOK_SECRET = "qingeban-demo-ems-webhook-secret"  # noqa: S105


class Settings(BaseSettings):
    """Every knob the service has; defaults run a development instance with no server."""

    model_config = SettingsConfigDict(env_prefix="QE_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./var/qingeban.db"
    database_pool_size: int = Field(default=20, ge=1, le=200)
    issuer: str = "http://127.0.0.1:8000"
    secret_key: SecretStr = SecretStr(DEMO_SECRET_KEY)
    redis_url: str | None = None
    department_urls: dict[str, str] = Field(default_factory=dict)
    # The credential presented to each department (department code → bearer token); a
    # department without one gets the simulator's published demo token.
    department_tokens: dict[str, SecretStr] = Field(default_factory=dict)
    # The secret each courier department signs its status webhooks with (department code →
    # secret, QE_COURIER_WEBHOOK_SECRETS); the demo one is the simulator's published secret.
    courier_webhook_secrets: dict[str, SecretStr] = Field(
        default_factory=lambda: {"ems": SecretStr(DEMO_COURIER_WEBHOOK_SECRET)}
    )
    demo: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # With SQLite one in-process worker runs the jobs; on PostgreSQL separate `qingeban worker`
    # processes may take over, and this can be switched off.
    inprocess_worker: bool = True
    job_lease_seconds: float = Field(default=60.0, gt=0)
    job_poll_seconds: float = Field(default=0.5, gt=0)
    job_max_attempts: int = Field(default=8, ge=1, le=100)
    # Workers queue the periodic jobs of app/jobs/data/schedules.yaml (once per period whatever
    # their number); off, only `qingeban jobs run-due` does.
    schedules_enabled: bool = True
    # Identity: token lifetimes, and the abuse limits of logins and SMS codes.
    access_token_seconds: int = Field(default=600, ge=60, le=3600)
    # ES256 signs ten times faster than RS256; RS256 for resource servers that take only RSA.
    access_token_algorithm: Literal["ES256", "RS256"] = "ES256"  # noqa: S105 - not a secret
    refresh_token_seconds: int = Field(default=30 * 86400, ge=3600)
    sso_session_seconds: int = Field(default=8 * 3600, ge=300)
    lockout_failures: int = Field(default=5, ge=1, le=100)
    lockout_seconds: int = Field(default=900, ge=1)
    login_attempts_per_login: int = Field(default=20, ge=1)
    login_attempts_per_address: int = Field(default=200, ge=1)
    sms_codes_per_phone_per_day: int = Field(default=10, ge=1)
    sms_codes_per_address_per_hour: int = Field(default=30, ge=1)
    sms_resend_seconds: int = Field(default=60, ge=1, le=3600)
    # E-licenses: public verifications per client address per minute (they are guesses at a
    # license number and its holder's name when abused), and how long a share may last.
    license_verify_rate_limit: int = Field(default=60, ge=1)
    license_share_max_days: int = Field(default=90, ge=1, le=3650)
    # The city code (一码通城): how long a code lives (a screen shows a fresh one each time it
    # ends, so a photo of it is useless soon after), how many a person may ask for a minute,
    # and how long a counter clerk may open the person's prefilled form after verifying it.
    city_code_seconds: int = Field(default=60, ge=10, le=600)
    city_codes_per_minute: int = Field(default=10, ge=1, le=1000)
    city_code_on_behalf_seconds: int = Field(default=300, ge=60, le=3600)
    # Applications: public holidays and make-up working days (调休) beyond the built-in 2026
    # calendar (app/kit/workdays.py), e.g. QE_HOLIDAYS='["2027-01-01"]', and the years whose
    # official arrangement has been entered completely, e.g. QE_OFFICIAL_CALENDAR_YEARS='[2027]'.
    # Other years count only the statutory holidays with fixed dates (provisional).
    holidays: list[date] = Field(default_factory=list)
    makeup_workdays: list[date] = Field(default_factory=list)
    official_calendar_years: list[int] = Field(default_factory=list)
    # 秒批: the total time the departments' data may take before a case goes to a clerk.
    # It counts from the request's arrival and covers the answer: the departments get what is
    # left of it but the reserve, the time to record the decision and answer.
    approval_deadline_seconds: float = Field(default=1.0, gt=0, le=30)
    # How long a person waiting at registration, face verification or acting for an enterprise
    # is given public security's or market regulation's answer before a 503 to retry.
    realname_deadline_seconds: float = Field(default=1.0, gt=0, le=30)
    # How long a signed-in citizen's service search waits for public security's household
    # record (their district ranks first) before it ranks city-wide.
    search_residence_deadline_seconds: float = Field(default=0.5, gt=0, le=5)
    # The most look-ups one process has in flight to one department (its bulkhead), on as many
    # connections. A 秒批 rent withdrawal reads four datasets of the housing fund centre: at 64,
    # 16 cases gathering at once filled it, and a burst of 50 waited for slots (bench/approval.py).
    exchange_calls_per_department: int = Field(default=128, ge=1, le=1024)
    approval_answer_reserve_seconds: float = Field(default=0.3, ge=0, le=5)
    # How long a clerk's claim on a case lasts before another clerk may take it.
    review_claim_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Working days a clerk has for a case 秒批 referred (services decided on the spot have no
    # statutory limit of their own): 3, as the housing fund's regulation gives its decisions
    # (《住房公积金管理条例》第二十五条), counted from the day after the referral.
    referral_workdays: int = Field(default=3, ge=1, le=60)
    # Uploads (materials no e-license stands in for): the largest file accepted, and how many
    # files one account may upload per hour (the bytes are kept in the database).
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    uploads_per_hour: int = Field(default=100, ge=1)
    # The audit chain's signed checkpoints (`qingeban audit checkpoint`): an append-only JSON
    # lines file that the database's administrators cannot rewrite (README, "Audit
    # checkpoints"). Unset, none are written and verification walks the whole chain.
    audit_checkpoint_path: Path | None = None
    # How the API and worker processes append audit records (app/audit/sealer.py): "deferred"
    # inserts them unsealed with no lock and a sealer in every process links them into the
    # chain every `audit_seal_interval_seconds`; "inline" links each under the chain head's
    # lock in its own transaction. "auto": deferred on PostgreSQL, inline on SQLite (whose
    # writers are serial anyway, so deferring would only add a second transaction).
    audit_sealing: Literal["auto", "inline", "deferred"] = "auto"
    audit_seal_interval_seconds: float = Field(default=0.2, gt=0, le=60)
    # The edge (app/ops/edge.py), before any route or authentication: every body but an
    # upload's (JSON, forms) is read whole there, so its size is bounded here — the largest
    # legitimate one, a ruleset, is some 20 KB. The request line and header fields are bounded
    # together (a bearer token and the SSO cookie are a few KB).
    max_body_bytes: int = Field(default=1024 * 1024, ge=16 * 1024, le=64 * 1024 * 1024)
    max_header_bytes: int = Field(default=16 * 1024, ge=4 * 1024, le=1024 * 1024)
    # Behind a load balancer: the proxies (CIDRs, e.g. '["10.0.0.0/8"]') whose X-Forwarded-For
    # and X-Forwarded-Proto are believed (app/ops/proxies.py). Nobody's by default, so a client
    # cannot choose the address its rate limits and audit records count against.
    trusted_proxies: list[IPvAnyNetwork] = Field(default_factory=list)
    # Browser front ends (H5) on other origins allowed to call the API with a bearer token,
    # e.g. '["https://h5.qingdao.gov.cn"]'; none by default.
    cors_origins: list[str] = Field(default_factory=list)

    # Notifications. Texts go through `sms_gateway` ("demo" keeps them in the database; a
    # production start needs a real provider), at most this many to one phone a day.
    sms_gateway: Literal["demo", "aliyun"] = "demo"
    sms_daily_cap_per_phone: int = Field(default=20, ge=1)
    # Aliyun SMS (app.adapters.sms_aliyun): the endpoint (the simulator's in development), the
    # AccessKey, the registered signature (签名), and the provider's template code of each of
    # our templates (`otp` and the keys of app/notifications/templates/messages.yaml).
    sms_aliyun_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    sms_aliyun_access_key_id: str | None = None
    sms_aliyun_access_key_secret: SecretStr | None = None
    sms_aliyun_sign_name: str = "青e办"
    sms_aliyun_templates: dict[str, str] = Field(default_factory=dict)
    sms_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    # When a text's delivery receipt is first asked for, and how many times in all.
    sms_status_delay_seconds: float = Field(default=60.0, ge=0)
    sms_status_checks: int = Field(default=5, ge=0, le=50)
    # Webhooks: the pauses between attempts (the last one ends a delivery some 3 days after the
    # event), the deadline of one attempt, the circuit breaker (this many failures in a row
    # open it for so long), when an endpoint is disabled (this many failures in a row, failing
    # for at least so long), and how long a rotated-out secret still signs.
    webhook_retry_seconds: list[float] = Field(
        default_factory=lambda: [5.0, 300.0, 1800.0, 7200.0, 18000.0] + [36000.0] * 5
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_breaker_failures: int = Field(default=5, ge=1)
    webhook_breaker_seconds: float = Field(default=60.0, ge=0)
    webhook_disable_failures: int = Field(default=50, ge=1)
    webhook_disable_after_seconds: float = Field(default=3 * 86400.0, ge=0)
    webhook_secret_overlap_seconds: int = Field(default=86400, ge=0)

    @model_validator(mode="after")
    def _official_years_have_their_holidays(self) -> Settings:
        # A year declared official before its days were entered would count 元旦 and 国庆节 as
        # working days: refuse it at start-up rather than misdate deadlines.
        self.working_calendar()
        return self

    @model_validator(mode="after")
    def _refuse_demo_secrets_in_production(self) -> Settings:
        if self.env == "production":
            if self.secret_key.get_secret_value() == DEMO_SECRET_KEY:
                raise ValueError("QE_SECRET_KEY must be set to a real secret in production")
            if len(self.secret_key.get_secret_value()) < 32:
                raise ValueError("QE_SECRET_KEY must be at least 32 characters in production")
            if self.demo:
                raise ValueError("the demo world cannot run in production (unset QE_DEMO)")
            # Texts (registration, SMS login, every notice) need a real gateway.
            if self.sms_gateway == "demo":
                raise ValueError("production needs a real SMS gateway (QE_SMS_GATEWAY=aliyun)")
            if not self.sms_aliyun_access_key_id or self.sms_aliyun_access_key_secret is None:
                raise ValueError("QE_SMS_ALIYUN_ACCESS_KEY_ID and _SECRET must be set")
            if "otp" not in self.sms_aliyun_templates:
                raise ValueError("QE_SMS_ALIYUN_TEMPLATES needs the template code of `otp`")
            # A real department must never be sent the published demo credential.
            untokened = sorted(set(self.department_urls) - set(self.department_tokens))
            if untokened:
                raise ValueError(f"QE_DEPARTMENT_TOKENS has no token for: {', '.join(untokened)}")
            # The simulator's published courier secret signs nothing a production start trusts:
            # a courier's webhooks are refused until QE_COURIER_WEBHOOK_SECRETS names its own.
            self.courier_webhook_secrets = {
                code: secret for code, secret in self.courier_webhook_secrets.items()
                if secret.get_secret_value() != DEMO_COURIER_WEBHOOK_SECRET
            }  # fmt: skip
        return self

    @property
    def issuer_url(self) -> str:
        """The OpenID Connect issuer exactly as tokens and discovery state it (no trailing /)."""
        return self.issuer.rstrip("/")

    def working_calendar(self) -> Calendar:
        """The working-day calendar: the built-in one with the operator's days and years."""
        return Calendar.of(self.holidays, self.makeup_workdays, self.official_calendar_years)

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")

    @property
    def audit_sealing_mode(self) -> Literal["inline", "deferred"]:
        """How this deployment's API and workers append audit records (`audit_sealing`)."""
        if self.audit_sealing == "auto":
            return "inline" if self.is_sqlite else "deferred"
        return self.audit_sealing


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
