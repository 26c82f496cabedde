"""Unified identity: accounts, staff, clients, keys, SSO sessions, the OpenID Connect provider."""
