from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "Theo dõi kiến nghị ngoại giao số"
admin.site.site_title = "Theo dõi kiến nghị"
admin.site.index_title = "Quản trị"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("recommendations.api.urls")),
    path("", include("recommendations.urls")),
]
