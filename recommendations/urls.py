"""Pages outside the admin and the API (the one-click check-in link of the weekly digest)."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "recommendations"
urlpatterns: list[URLPattern | URLResolver] = [
    path("check-in/<str:token>/", views.check_in, name="check_in"),
]
