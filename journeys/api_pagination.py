"""Cursor pagination for every list: stable under inserts, constant cost for deep pages."""

from rest_framework.pagination import CursorPagination


class NewestFirstPagination(CursorPagination):
    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class ByExternalIdPagination(CursorPagination):
    ordering = "external_id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
