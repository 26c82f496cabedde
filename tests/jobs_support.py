"""What tests of the applications' own jobs share: a worker that runs only those.

Every decision also publishes notification jobs (app.notifications); a test counting the jobs
a case set in motion counts these kinds only."""

from __future__ import annotations

from app.services.applications.commitments import COMMITMENT_CHECK_JOB
from app.services.applications.outcomes import HPF_DISBURSEMENT_JOB, INSTRUCTION_JOB

APPLICATION_JOBS = frozenset({HPF_DISBURSEMENT_JOB, INSTRUCTION_JOB, COMMITMENT_CHECK_JOB})
