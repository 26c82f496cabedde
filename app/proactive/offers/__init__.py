"""Renewal offers (无感审批): licenses about to expire are renewed before their holders ask."""
