from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

# The admin site's header and titles are set, translatable, in recommendations/admin.py.

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("recommendations.api.urls")),
    path("", include("recommendations.urls")),
]
