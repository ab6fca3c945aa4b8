"""`Authorization: Bearer <token>` against hashed, scoped API tokens, and scope permissions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions, permissions
from rest_framework_api_key.permissions import KeyParser

from journeys.models import ApiToken


class BearerKeyParser(KeyParser):
    keyword = "Bearer"


class IntegrationUser(AnonymousUser):
    """The principal of a token not tied to a person: authenticated, scoped by the token,
    and not limited to one person's runs (a ticketing system works for the whole company)."""

    is_integration = True

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True

    def __str__(self) -> str:
        return "integration"


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"
    parser = BearerKeyParser()

    def authenticate(self, request: Any) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request)
        if not header:
            return None
        key = self.parser.get(request)
        if not key:
            return None  # another scheme: let session authentication try
        try:
            token = ApiToken.objects.get_from_key(key)
        except ApiToken.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        if token.has_expired or token.revoked:
            raise exceptions.AuthenticationFailed("Token revoked or expired.")
        if token.user is not None:
            if not token.user.is_active:
                raise exceptions.AuthenticationFailed("The token's user is inactive.")
            return token.user, token
        return IntegrationUser(), token

    def authenticate_header(self, request: Any) -> str:
        return self.keyword


class HasScope(permissions.BasePermission):
    """Token requests need the view's scope for the method; session users (people logged in to
    the web app) act as themselves and are scoped by what they may see."""

    message = "This token lacks the scope this endpoint needs."

    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        scopes = getattr(view, "required_scopes", {})
        needed = scopes.get(request.method) or scopes.get("*")
        if needed is None:
            return False
        if not token.has_scope(needed):
            self.message = f"This token lacks the {needed!r} scope."
            return False
        return True
