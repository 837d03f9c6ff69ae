from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from recommendations import views

# The admin site's header and titles are set, translatable, in recommendations/admin.py.

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    # A page of the admin, for every staff member whatever their role: admin_view signs people in
    # and turns others away exactly as the admin does. Before admin.site.urls, whose catch-all
    # would answer it otherwise; the admin's app URLs cannot clash (an app label has no hyphen).
    path("admin/my-preferences/", admin.site.admin_view(views.my_preferences), name="my_preferences"),
    path("admin/", admin.site.urls),
    path("api/", include("recommendations.api.urls")),
    path("", include("recommendations.urls")),
]
