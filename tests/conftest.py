from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache_fast_hashing(settings):
    # Throttle counters and axes lockouts live in the cache: each test starts from zero.
    cache.clear()
    settings.AXES_ENABLED = False
    # Factories hash a password for every user; the production hasher is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield
    cache.clear()
