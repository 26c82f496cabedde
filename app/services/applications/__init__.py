"""Applications (办件): submission, the status machine, decisions, the timeline."""
