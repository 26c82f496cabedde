"""The suite's Settings: one place for what every test's settings share."""

from __future__ import annotations

from typing import Any

from app.config import Settings


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Test settings on `database_url`: no background worker unless a test starts one, no .env
    file; `overrides` as Settings fields (e.g. upload_max_bytes=65536).

    秒批's deadline is 10 s rather than production's 1 s: a test that expects `approved` is about
    the rules, and on two loaded cores a cold first submission can take most of a second. The
    tests about the deadline itself set their own (test_applications_deadline*.py). The same
    holds for the real-name checks at registration (production: 1 s) and for the household
    record a signed-in search asks for (production: 0.5 s, test: 5 s, the setting's most)."""
    return Settings(
        env="test",
        database_url=database_url,
        inprocess_worker=False,
        job_poll_seconds=0.05,
        _env_file=None,
        **{
            "schedules_enabled": False,
            "approval_deadline_seconds": 10.0,
            "realname_deadline_seconds": 10.0,
            "search_residence_deadline_seconds": 5.0,
            **overrides,
        },
    )


# What a production start needs of its SMS gateway (app.config refuses to start without one).
PRODUCTION_SMS: dict[str, Any] = {
    "sms_gateway": "aliyun",
    "sms_aliyun_access_key_id": "LTAI5tProductionKey",
    "sms_aliyun_access_key_secret": "production-sms-secret",
    "sms_aliyun_templates": {"otp": "SMS_000000001"},
}
