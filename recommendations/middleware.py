"""Vietnamese first: the interface language is the one the person chose, never the browser's guess."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers


class PreferredLanguageMiddleware:
    """Activate the language chosen in the language menu (cookie), else the signed-in user's
    preferred language, else ``LANGUAGE_CODE`` (vi).

    Django's ``LocaleMiddleware`` would follow the browser's Accept-Language, so staff on an
    English-configured computer would get an English admin without asking for it.
    Must come after ``AuthenticationMiddleware``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in self.supported:
            user = getattr(request, "user", None)
            preferred = getattr(user, "preferred_language", "") if user and user.is_authenticated else ""
            language = preferred if preferred in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
