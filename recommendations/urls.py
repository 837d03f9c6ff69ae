"""Pages outside the admin and the API (the one-click check-in link of the weekly digest)."""

from django.urls import URLPattern, URLResolver

app_name = "recommendations"
urlpatterns: list[URLPattern | URLResolver] = []
