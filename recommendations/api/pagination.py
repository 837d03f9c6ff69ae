"""Page-number pagination with a total count and a client-chosen page size (at most 500)."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class TrackerPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    page_size_query_description = "Results per page: 50 by default, at most 500."
