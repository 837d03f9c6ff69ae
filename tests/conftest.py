from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache_and_english_off(settings):
    # Throttle counters and axes lockouts live in the cache: each test starts from zero.
    cache.clear()
    settings.AXES_ENABLED = False
    yield
    cache.clear()
