"""OpenAPI description of the bearer token scheme (loaded by UsersConfig.ready)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenSchemeExtension(OpenApiAuthenticationExtension):
    target_class = "careboard.users.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "Personal API token."}
