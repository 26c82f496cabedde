"""Rulesets as stored, immutable versions: seeded from app/rules/rulesets/, drafted, tested and
published by department admins (DESIGN §5 "Rules")."""
