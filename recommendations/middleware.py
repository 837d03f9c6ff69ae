"""Vietnamese first: the interface language is the one the person chose, never the browser's guess."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers


def preferred_language(request: HttpRequest, user: Any) -> str:
    """The language menu's choice (cookie), else the user's preferred language, else
    ``LANGUAGE_CODE`` (vi)."""
    supported = {code for code, _name in settings.LANGUAGES}
    language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if language in supported:
        return language
    preferred = getattr(user, "preferred_language", "") if user and user.is_authenticated else ""
    return preferred if preferred in supported else settings.LANGUAGE_CODE


class PreferredLanguageMiddleware:
    """Activate ``preferred_language`` for the session's user.

    Django's ``LocaleMiddleware`` would follow the browser's Accept-Language, so staff on an
    English-configured computer would get an English admin without asking for it.
    Must come after ``AuthenticationMiddleware``. The API, whose token users are known only once
    DRF has authenticated them, activates the language again then (``TrackerAPIView``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Until the person's language is known, the default: reading their preference may fail (the
        # database down), and the error page would otherwise speak whatever language this thread
        # served last, to someone else.
        translation.activate(settings.LANGUAGE_CODE)
        language = preferred_language(request, getattr(request, "user", None))
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
