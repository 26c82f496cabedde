"""Durable background jobs: the transactional outbox, its worker and its admin API."""
