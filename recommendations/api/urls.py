"""Routes under /api/: the versioned resources, the OpenAPI schema and its Swagger UI."""

from django.urls import URLPattern, URLResolver, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from . import reports, views

app_name = "api"

router = SimpleRouter()
router.register("v1/recommendations", views.RecommendationViewSet, basename="recommendation")
router.register("v1/organizations", views.OrganizationViewSet, basename="organization")
router.register("v1/sources", views.SourceDocumentViewSet, basename="source")
router.register("v1/themes", views.ThemeViewSet, basename="theme")

urlpatterns: list[URLPattern | URLResolver] = [
    *router.urls,
    path(
        "v1/recommendations/<str:code>/evidence/",
        views.RecommendationEvidenceView.as_view(),
        name="evidence-list",
    ),
    path(
        "v1/recommendations/<str:code>/evidence/<int:pk>/withdraw/",
        views.EvidenceWithdrawView.as_view(),
        name="evidence-withdraw",
    ),
    path(
        "v1/recommendations/<str:code>/evidence/<int:pk>/file/",
        views.EvidenceFileView.as_view(),
        name="evidence-file",
    ),
    path(
        "v1/reports/status-by-organization/",
        reports.StatusByOrganizationReport.as_view(),
        name="report-status-by-organization",
    ),
    path(
        "v1/reports/status-by-source/", reports.StatusBySourceReport.as_view(), name="report-status-by-source"
    ),
    path("v1/reports/status-by-theme/", reports.StatusByThemeReport.as_view(), name="report-status-by-theme"),
    path(
        "v1/reports/timeliness-by-organization/",
        reports.TimelinessByOrganizationReport.as_view(),
        name="report-timeliness-by-organization",
    ),
    path("v1/reports/overdue/", reports.OverdueReport.as_view(), name="report-overdue"),
    path("v1/reports/progress-weekly/", reports.WeeklyStatusReport.as_view(), name="report-progress-weekly"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # Anything else under /api/ is a JSON 404 (paths without their trailing slash are first
    # redirected to it by CommonMiddleware).
    re_path(r"^.*/$", views.api_not_found),
]
