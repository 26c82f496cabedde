"""Every job handler, imported so that the registry knows every kind (API process and worker)."""

from app.auth import tasks as auth_tasks

__all__ = ["auth_tasks"]
