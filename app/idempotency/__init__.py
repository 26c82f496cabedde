"""Idempotency-Key for creating POSTs: the same key and body give the stored answer once more."""
