from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from recommendations.catalogue import CATALOGUE_PATH, read_catalogue
from recommendations.services import catalogue_load


class Command(BaseCommand):
    help = "Load or refresh the catalogue of recommendations from fixtures/catalogue.yaml (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--path", type=Path, default=CATALOGUE_PATH)

    def handle(self, *args: Any, **options: Any) -> None:
        result = catalogue_load(read_catalogue(options["path"]))
        self.stdout.write(
            self.style.SUCCESS(
                f"Catalogue: {len(result.created)} recommendations created, "
                f"{len(result.updated)} with their provenance refreshed from the file."
            )
        )
