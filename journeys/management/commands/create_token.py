"""`create_token --name NAME --scopes events:write,runs:read [--user USERNAME]`.

Prints the new token alone on the last line of stdout; only its hash is stored.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from journeys.models import ApiToken


class Command(BaseCommand):
    help = "Create a hashed API token with scopes; prints the token on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--scopes",
            required=True,
            help="comma-separated: " + ", ".join(ApiToken.Scope.values),
        )
        parser.add_argument("--user", help="username the token acts as (a person's token)")

    def handle(self, *args: Any, name: str, scopes: str, user: str | None, **options: Any) -> None:
        wanted = [scope.strip() for scope in scopes.split(",") if scope.strip()]
        unknown = sorted(set(wanted) - set(ApiToken.Scope.values))
        if not wanted:
            raise CommandError("--scopes needs at least one scope")
        if unknown:
            raise CommandError(
                f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(ApiToken.Scope.values)}"
            )
        owner = None
        if user:
            try:
                owner = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"no user named {user!r}") from None
        _, key = ApiToken.objects.create_key(name=name, scopes=wanted, user=owner)
        self.stderr.write(f"Created token {name!r} with scopes {', '.join(wanted)}.")
        self.stdout.write(key)
