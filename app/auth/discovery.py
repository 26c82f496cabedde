"""The provider's metadata (OpenID Connect Discovery 1.0, RFC 8414)."""

from __future__ import annotations

from typing import Any

from app.auth import logins, scopes, tokens
from app.config import Settings

AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret
USERINFO_PATH = "/oauth/userinfo"
JWKS_PATH = "/oauth/jwks"
REVOKE_PATH = "/oauth/revoke"
INTROSPECT_PATH = "/oauth/introspect"
LOGOUT_PATH = "/oauth/logout"

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def metadata(settings: Settings) -> dict[str, Any]:
    """Everything a strict OpenID Connect client library checks, and what it may use."""
    issuer = settings.issuer_url
    claims = sorted(
        {"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid"}
        | scopes.claims_of(tuple(scopes.SCOPES))
    )
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + AUTHORIZE_PATH,
        "token_endpoint": issuer + TOKEN_PATH,
        "userinfo_endpoint": issuer + USERINFO_PATH,
        "jwks_uri": issuer + JWKS_PATH,
        "end_session_endpoint": issuer + LOGOUT_PATH,
        "revocation_endpoint": issuer + REVOKE_PATH,
        "introspection_endpoint": issuer + INTROSPECT_PATH,
        "scopes_supported": list(scopes.SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [*CLIENT_AUTH_METHODS, "none"],
        "revocation_endpoint_auth_methods_supported": [*CLIENT_AUTH_METHODS, "none"],
        "introspection_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "id_token_signing_alg_values_supported": [tokens.ID_TOKEN_ALGORITHM],
        "subject_types_supported": ["public", "pairwise"],
        "claims_supported": claims,
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "require_request_uri_registration": False,
        "acr_values_supported": list(logins.ACR_VALUES),
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "ui_locales_supported": ["zh-CN", "en"],
        "claims_locales_supported": ["zh-CN"],
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
    }
