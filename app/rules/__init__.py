"""The 秒批 rules engine: pure (no database, no HTTP, no clock; facts and the date are passed
in)."""
