"""Every model, imported so that `Base.metadata` knows every table (Alembic, tests)."""

from app.adapters import models as adapters_models
from app.audit import models as audit_models
from app.auth import models as auth_models
from app.certificates import models as certificates_models
from app.codes import models as codes_models
from app.idempotency import models as idempotency_models
from app.jobs import models as jobs_models
from app.notifications import models as notifications_models
from app.proactive.campaigns import models as campaigns_models
from app.proactive.offers import models as offers_models
from app.services.applications import models as applications_models
from app.services.bundles import models as bundles_models
from app.services.catalog import models as catalog_models
from app.services.rulesets import models as rulesets_models
from app.uploads import models as uploads_models

__all__ = [
    "adapters_models",
    "applications_models",
    "audit_models",
    "auth_models",
    "bundles_models",
    "campaigns_models",
    "catalog_models",
    "certificates_models",
    "codes_models",
    "idempotency_models",
    "jobs_models",
    "notifications_models",
    "offers_models",
    "rulesets_models",
    "uploads_models",
]
