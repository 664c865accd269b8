"""A list that reads rows as tuples instead of model instances, for the API's long, busy lists.

A page of 100 segments through a ModelSerializer builds 200 model instances and a Field object
per cell; reading the same columns with values_list and zipping them with their names gives the
same JSON several times faster. The viewset's serializer still describes the rows (for the schema
and for single records), so the two must name the same fields: a test checks they agree.

With `count_in_window`, the page and the total come back in one query (`COUNT(*) OVER ()`),
which suits lists of a few thousand rows at most, such as every organisation's segment on a
date. For long tables a separate COUNT is cheaper: the window would have to join every row
before the limit, where the page query alone stops after one page of an index.
"""

from django.db.models import Count, Window
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

TOTAL = "_fast_list_total"
MAX_PAGE_NUMBER = 10**6  # beyond any list here; a larger offset would overflow the database's integers


class FastListMixin:
    """`list` from `fast_columns`: {output name: ORM path}, in output order, paged as ApiPagination pages."""

    fast_columns: dict[str, str] = {}
    count_in_window = False

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        names, paths = list(self.fast_columns), list(self.fast_columns.values())
        paginator = self.paginator
        size = paginator.get_page_size(request) if paginator is not None else None
        if size is None:
            return Response([dict(zip(names, row)) for row in queryset.values_list(*paths)])
        raw_page = request.query_params.get(paginator.page_query_param, "1")
        try:
            number = int(raw_page)
        except ValueError:
            number = 0
        if not 1 <= number <= MAX_PAGE_NUMBER:
            raise NotFound("Invalid page.")
        offset = (number - 1) * size
        if self.count_in_window:
            rows = list(
                queryset.annotate(**{TOTAL: Window(Count("pk"))}).values_list(*paths, TOTAL)[offset : offset + size]
            )
            total = rows[0][-1] if rows else None
            rows = [row[:-1] for row in rows]
        else:
            rows = list(queryset.values_list(*paths)[offset : offset + size])
            total = None
        if not rows and number > 1:
            raise NotFound("Invalid page.")
        if total is None:
            total = queryset.count() if rows else 0
        url = request.build_absolute_uri()
        previous = None
        if number > 1:
            previous = (
                remove_query_param(url, paginator.page_query_param)
                if number == 2
                else replace_query_param(url, paginator.page_query_param, number - 1)
            )
        return Response(
            {
                "count": total,
                "next": replace_query_param(url, paginator.page_query_param, number + 1)
                if offset + size < total
                else None,
                "previous": previous,
                "results": [dict(zip(names, row)) for row in rows],
            }
        )
