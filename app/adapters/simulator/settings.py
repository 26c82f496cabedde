"""Configuration of the simulated departments (env prefix QE_SIM_)."""

from __future__ import annotations

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.adapters.simulator.population import DEFAULT_SEED, DEFAULT_SIZE

DEFAULT_CALLER_TOKEN = "qingeban-demo-caller-token"  # noqa: S105 - published demo credential
DEFAULT_ADMIN_TOKEN = "qingeban-sim-admin"  # noqa: S105 - published demo credential
# The courier signs its webhooks to the platform with this (QE_COURIER_WEBHOOK_SECRETS there).
DEFAULT_COURIER_WEBHOOK_SECRET = "qingeban-demo-ems-webhook-secret"  # noqa: S105 - published demo


class Fault(BaseModel):
    """Faults injected into one department's dataset endpoints."""

    latency_ms: int = Field(0, ge=0)
    jitter_ms: int = Field(0, ge=0)
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    hang: bool = False
    reset_rate: float = Field(0.0, ge=0.0, le=1.0)

    @property
    def active(self) -> bool:
        """Whether this fault changes anything."""
        return bool(
            self.latency_ms or self.jitter_ms or self.error_rate or self.hang or self.reset_rate
        )


class SimulatorSettings(BaseSettings):
    """Population, caller credentials, admin token and initial faults of the simulator."""

    model_config = SettingsConfigDict(env_prefix="QE_SIM_", extra="ignore")

    seed: int = DEFAULT_SEED
    size: int = DEFAULT_SIZE
    caller_tokens: dict[str, str] = Field(
        default_factory=lambda: {DEFAULT_CALLER_TOKEN: "qingeban"}
    )
    admin_token: str = DEFAULT_ADMIN_TOKEN
    faults: dict[str, Fault] = Field(default_factory=dict)
    courier_webhook_secret: str = DEFAULT_COURIER_WEBHOOK_SECRET
