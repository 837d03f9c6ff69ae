"""Reading the catalogue file; writing it to the database is ``services.catalogue_load``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

CATALOGUE_PATH = Path(settings.BASE_DIR) / "fixtures" / "catalogue.yaml"


def read_catalogue(path: Path = CATALOGUE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data
