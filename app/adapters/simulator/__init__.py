"""Simulated departments over a deterministic synthetic population."""
