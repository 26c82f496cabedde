"""Proactive services: the platform finds people before they come (无感审批 offers, 静默认证 campaigns)."""
