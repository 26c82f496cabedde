"""The event types the platform publishes, and which of them are statutory notices.

A statutory notice (a decision, a request to supplement, a license taken away) is one the law
requires the person to be told of: its text cannot be switched off.
"""

from __future__ import annotations

APPLICATION_SUBMITTED = "application.submitted"
APPLICATION_DECIDED = "application.decided"
APPLICATION_SUPPLEMENT_REQUESTED = "application.supplement_requested"
APPLICATION_WITHDRAWN = "application.withdrawn"
LICENSE_ISSUED = "license.issued"
LICENSE_RENEWED = "license.renewed"
LICENSE_SUSPENDED = "license.suspended"
LICENSE_REINSTATED = "license.reinstated"
LICENSE_REVOKED = "license.revoked"
LICENSE_CANCELLED = "license.cancelled"
LICENSE_EXPIRING = "license.expiring"
SHARE_VERIFIED = "share.verified"
# Linked services (一件事一次办): a named party is asked to confirm; a step of a case changed
# (queued, retrying, done, with a clerk, rejected, not started); the case as a whole changed.
BUNDLE_CONFIRMATION_REQUESTED = "bundle.confirmation_requested"
BUNDLE_STEP_CHANGED = "bundle.step_changed"
BUNDLE_CASE_CHANGED = "bundle.case_changed"
# To a webhook subscriber: one of its endpoints was disabled after failing for too long (told to
# its other endpoints that subscribed to it; the subscription itself shows it too).
WEBHOOK_ENDPOINT_DISABLED = "webhook.endpoint_disabled"
# Renewal offers (无感审批): a license can be renewed with one tap, or why it cannot.
OFFER_MADE = "offer.made"
OFFER_INELIGIBLE = "offer.ineligible"
# 静默认证 (app.proactive.campaigns): qualified without lifting a finger, asked for a selfie
# (and reminded), a pension stopped by a clerk's decision or restored.
PENSION_QUALIFIED = "pension.qualified"
PENSION_VERIFICATION_INVITED = "pension.verification_invited"
PENSION_VERIFICATION_REMINDER = "pension.verification_reminder"
PENSION_SUSPENDED = "pension.suspended"
PENSION_RESTORED = "pension.restored"

EVENT_TYPES: tuple[str, ...] = (
    APPLICATION_SUBMITTED,
    APPLICATION_DECIDED,
    APPLICATION_SUPPLEMENT_REQUESTED,
    APPLICATION_WITHDRAWN,
    LICENSE_ISSUED,
    LICENSE_RENEWED,
    LICENSE_SUSPENDED,
    LICENSE_REINSTATED,
    LICENSE_REVOKED,
    LICENSE_CANCELLED,
    LICENSE_EXPIRING,
    SHARE_VERIFIED,
    WEBHOOK_ENDPOINT_DISABLED,
    OFFER_MADE,
    OFFER_INELIGIBLE,
    BUNDLE_CONFIRMATION_REQUESTED,
    BUNDLE_STEP_CHANGED,
    BUNDLE_CASE_CHANGED,
    PENSION_QUALIFIED,
    PENSION_VERIFICATION_INVITED,
    PENSION_VERIFICATION_REMINDER,
    PENSION_SUSPENDED,
    PENSION_RESTORED,
)

STATUTORY: frozenset[str] = frozenset(
    {
        APPLICATION_DECIDED,
        APPLICATION_SUPPLEMENT_REQUESTED,
        LICENSE_SUSPENDED,
        LICENSE_REVOKED,
        PENSION_SUSPENDED,
    }
)

# Events that are told by text as well as in the inbox (the rest only in the inbox).
BY_SMS: frozenset[str] = STATUTORY | {
    LICENSE_ISSUED, LICENSE_EXPIRING, LICENSE_RENEWED, OFFER_MADE, OFFER_INELIGIBLE,
    BUNDLE_CONFIRMATION_REQUESTED, BUNDLE_STEP_CHANGED, BUNDLE_CASE_CHANGED,
    PENSION_QUALIFIED, PENSION_VERIFICATION_INVITED, PENSION_VERIFICATION_REMINDER,
    PENSION_RESTORED,
}  # fmt: skip
