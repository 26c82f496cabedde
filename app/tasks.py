"""Every job handler, imported so that the registry knows every kind (API process and worker)."""

from app.auth import tasks as auth_tasks
from app.services.applications import commitments as applications_commitments
from app.services.applications import tasks as applications_tasks

__all__ = ["applications_commitments", "applications_tasks", "auth_tasks"]
