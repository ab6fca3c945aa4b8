"""`import_playbooks FILE.yaml` (or `-` for stdin): teams, journeys and playbooks as code."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from playbooks.as_code import import_playbooks
from playbooks.exceptions import PlaybookInvalid


class Command(BaseCommand):
    help = "Import teams, journeys and playbooks from YAML; nothing is stored if it is invalid."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a YAML file, or - for standard input")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        try:
            text = sys.stdin.read() if file == "-" else open(file, encoding="utf-8").read()  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        try:
            summary = import_playbooks(text=text)
        except PlaybookInvalid as exc:
            raise CommandError(f"{file}: {exc.detail} (nothing was imported)") from None
        self.stdout.write(f"Imported {file}: {summary}")
