"""The API's two pagers: page numbers with a count for short lists, cursors for the long tables.

Both take `page_size` (default 100, capped at 1000).
"""

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, PageNumberPagination

MAX_PAGE_SIZE = 1000
# A cursor's position is a row id: anything else, or a number beyond a bigint, is an invalid cursor
# (404) rather than a database error.
MAX_ID = 2**63 - 1


class ApiPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class IdCursorPagination(CursorPagination):
    """Pages of a long table in id order, each after the last id of the page before: `{next, previous, results}`.

    A page-number page costs a COUNT(*) of every matching row and an OFFSET that reads every row
    before it; a cursor page reads one page of an index (`id > last`), however deep the client has
    paged, and the pages stay consistent while rows are added. The id is unique, so the cursor
    never needs DRF's offset for ties.
    """

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = "id"
    template = None

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        try:
            position = int(cursor.position)
        except ValueError:
            raise NotFound(self.invalid_cursor_message) from None
        if not 0 <= position <= MAX_ID:
            raise NotFound(self.invalid_cursor_message)
        return cursor._replace(position=position)

    # A values-list page (oversight.api.fastlist) reads tuples: the column its position is in.
    tuple_position: int | None = None

    def _get_position_from_instance(self, instance, ordering):
        if isinstance(instance, tuple) and self.tuple_position is not None:
            return str(instance[self.tuple_position])
        return super()._get_position_from_instance(instance, ordering)
