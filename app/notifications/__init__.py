"""Notifications: domain events in the outbox, the inbox, texts through a gateway, webhooks."""
