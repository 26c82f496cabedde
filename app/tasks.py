"""Every job handler, imported so that the registry knows every kind (API process and worker),
the purposes whose references the data exchange checks against the records they name, and
who tells the catalog where a signed-in citizen lives."""

from app import scheduled
from app.auth import tasks as auth_tasks
from app.notifications import tasks as notifications_tasks
from app.proactive.campaigns import tasks as campaigns_tasks
from app.proactive.offers import tasks as offers_tasks
from app.services.applications import commitments as applications_commitments
from app.services.applications import residence as applications_residence
from app.services.applications import scopes as applications_scopes
from app.services.applications import tasks as applications_tasks
from app.services.bundles import tasks as bundles_tasks

__all__ = [
    "applications_commitments",
    "applications_residence",
    "applications_scopes",
    "applications_tasks",
    "auth_tasks",
    "bundles_tasks",
    "campaigns_tasks",
    "notifications_tasks",
    "offers_tasks",
    "scheduled",
]
