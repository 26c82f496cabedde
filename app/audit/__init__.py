"""The hash-chained audit log (a sink: it imports no business domain)."""
