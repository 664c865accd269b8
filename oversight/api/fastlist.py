"""A list that reads rows as tuples instead of model instances, for the API's long, busy lists.

A page of 100 segments through a ModelSerializer builds 200 model instances and a Field object
per cell; reading the same columns with values_list and rendering each cell through its declared
field gives the same JSON several times faster. The columns come from the viewset's serializer:
each declared field's `source` (dots become `__`; a slug related field adds its slug) is the
ORM path read, and the field renders the value as DRF would (None stays None). One declaration
therefore drives the query, the rows, the schema and single records.

A viewset whose paginator is a CursorPagination (oversight.api.pagination.IdCursorPagination)
is paged by cursor: the paginator reads the last row's position from its column of the tuple,
and the answer is `{next, previous, results}` with no count.

With `count_in_window`, the page and the total come back in one query (`COUNT(*) OVER ()`),
which suits lists of a few thousand rows at most, such as every organisation's segment on a
date. For long tables a separate COUNT is cheaper: the window would have to join every row
before the limit, where the page query alone stops after one page of an index.
"""

from datetime import date

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Count, Window
from rest_framework import ISO_8601, relations, serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

from . import statements

TOTAL = "_fast_list_total"
MAX_PAGE_NUMBER = 10**6  # beyond any list here; a larger offset would overflow the database's integers

# Fields whose representation of the database's own value is that value: no call per cell. A related
# field reads its key or slug column, so only these two kinds of relation can come from a values list.
_IDENTITY = (
    serializers.IntegerField,
    serializers.BooleanField,
    serializers.CharField,
    relations.PrimaryKeyRelatedField,
    relations.SlugRelatedField,
)


def _identity(value):
    return value


def _model_field(model, path: str):
    """The model field at the end of an ORM path (`organisation__ods_code`), or None when it is not one."""
    field = None
    for part in path.split("__"):
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = field.related_model
    return field


def _renders_as_read(field, model, path: str) -> bool:
    """Whether the serializer field gives the database's value unchanged (no call per cell needed)."""
    if isinstance(field, _IDENTITY):
        return True
    if type(field) is serializers.ChoiceField:
        # A text column's value is given back as the choice whose string it equals: itself, if every choice is text.
        column = _model_field(model, path)
        return isinstance(column, models.CharField) and all(type(choice) is str for choice in field.choices)
    # float(x) of a float column's value is that value; of an integer or a decimal column it is not.
    return type(field) is serializers.FloatField and isinstance(_model_field(model, path), models.FloatField)


def columns(serializer):
    """[(output name, ORM path, render)] for a serializer's readable fields, in declared order."""
    out = []
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        if (
            field.source == "*"
            or isinstance(field, (serializers.SerializerMethodField, relations.ManyRelatedField))
            or (isinstance(field, relations.RelatedField) and not isinstance(field, _IDENTITY))
        ):
            raise TypeError(f"{type(serializer).__name__}.{name}: a values list needs a column source")
        path = field.source.replace(".", "__")
        if isinstance(field, relations.SlugRelatedField):
            path = f"{path}__{field.slug_field}"
        if _renders_as_read(field, model, path):
            render = _identity
        elif type(field) is serializers.DateField and getattr(field, "format", api_settings.DATE_FORMAT) == ISO_8601:
            render = date.isoformat  # what DateField.to_representation does with a date, without its checks per cell
        else:
            render = field.to_representation
        out.append((name, path, render))
    return out


def render_rows(cols, rows):
    """Each tuple as the dict the serializer would give: None stays None, other cells through their field."""
    names = [name for name, _, _ in cols]
    rendered = [(index, render) for index, (_, _, render) in enumerate(cols) if render is not _identity]
    if not rendered:
        return [dict(zip(names, row)) for row in rows]
    out = []
    for row in rows:
        cells = list(row)
        for index, render in rendered:  # only the few cells whose field changes the value (dates, floats)
            if cells[index] is not None:
                cells[index] = render(cells[index])
        out.append(dict(zip(names, cells)))
    return out


_COLUMNS: dict[type, list] = {}


def columns_of(serializer_class):
    """columns() of a serializer class, built once per process.

    Building a ModelSerializer's fields (deep copies and model introspection of ~20 fields) cost
    more per request than reading and rendering a page of 100 segments. The columns of a values
    list depend only on the class: its fields may not depend on the request (their rows' visibility
    does, and is decided in the queryset).
    """
    if serializer_class not in _COLUMNS:
        _COLUMNS[serializer_class] = columns(serializer_class(context={}))
    return _COLUMNS[serializer_class]


class ValuesListMixin:
    """`list` from the serializer's declared fields, read with values_list, paged as ApiPagination pages.

    A page-number page with `count_in_window` and a cursor page run the statement kept for the list
    (oversight.api.statements) when one is: a client paging through a list pays for building and
    compiling its query once. `keep_statements = False` builds every page's query.
    """

    count_in_window = False
    keep_statements = True
    reads_data_version = True  # the statements' key: the throttle reads it with its count (one round trip)

    def filtered_queryset(self):
        return self.filter_queryset(self.get_queryset())

    def list(self, request, *args, **kwargs):
        cols = columns_of(self.get_serializer_class())
        paths = [path for _, path, _ in cols]
        paginator = self.paginator
        size = paginator.get_page_size(request) if paginator is not None else None
        if size is None:
            return Response(render_rows(cols, self.filtered_queryset().values_list(*paths)))
        if isinstance(paginator, CursorPagination):
            return self.cursor_page(request, cols, paths)
        key = None
        if self.count_in_window and self.keep_statements:
            key = statements.list_key(self, request, {paginator.page_query_param, paginator.page_size_query_param})
        held = statements.statements_of(key) if key is not None else None
        statement = held.get(TOTAL) if held is not None else None
        queryset = None
        if statement is None:
            queryset = self.filtered_queryset()  # first: a filter refusing its parameter answers 400
        raw_page = request.query_params.get(paginator.page_query_param, "1")
        try:
            number = int(raw_page)
        except ValueError:
            number = 0
        if not 1 <= number <= MAX_PAGE_NUMBER:
            raise NotFound("Invalid page.")
        offset = (number - 1) * size
        if self.count_in_window:
            if statement is None:
                windowed = queryset.annotate(**{TOTAL: Window(Count("pk"))}).values_list(*paths, TOTAL)
                statement = statements.compile_statement(windowed) if key is not None else None
                if statement is not None:
                    statements.keep(key, TOTAL, statement)
            if statement is not None:
                rows = statement.rows(offset, offset + size)
            else:
                rows = list(windowed[offset : offset + size])
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
                "results": render_rows(cols, rows),
            }
        )

    def cursor_page(self, request, cols, paths):
        """One cursor page: the paginator orders and limits the tuples, reading its position from its column."""
        paginator = self.paginator
        key = None
        if self.keep_statements:
            ignored = {paginator.cursor_query_param, paginator.page_size_query_param}
            key = statements.list_key(self, request, ignored)
        queryset = None
        if key is None or statements.statements_of(key) is None:
            queryset = self.filtered_queryset()  # first: a filter refusing its parameter answers 400
        ordering = [name.lstrip("-") for name in paginator.get_ordering(request, queryset, self)]
        extra = [name for name in ordering if name not in paths]
        read = paths + extra
        paginator.tuple_position = read.index(ordering[0])

        def values():
            return (queryset if queryset is not None else self.filtered_queryset()).values_list(*read)

        page = paginator.paginate_queryset(values() if key is None else _StatementPage(key, values), request, view=self)
        rows = [row[: len(paths)] for row in page] if extra else page
        return paginator.get_paginated_response(render_rows(cols, rows))


class _StatementPage:
    """What CursorPagination.paginate_queryset asks of its queryset (an ordering, one position filter,
    a slice, its rows), answered by the list's kept statement, compiled from `values()` when missing."""

    def __init__(self, key: tuple, values):
        self.key = key
        self.values = values
        self.ordering: tuple = ()
        self.lookup: str | None = None
        self.position = None
        self.low, self.high = 0, None

    def order_by(self, *ordering):
        self.ordering = ordering
        return self

    def filter(self, **lookup):
        ((self.lookup, self.position),) = lookup.items()
        return self

    def __getitem__(self, bounds: slice):
        self.low, self.high = bounds.start or 0, bounds.stop
        return self

    def __iter__(self):
        part = (self.ordering, self.lookup)
        held = statements.statements_of(self.key) or {}
        if part in held:
            statement = held[part]
        else:
            queryset = self.values().order_by(*self.ordering)
            if self.lookup is not None:
                queryset = queryset.filter(**{self.lookup: statements.POSITION})
            statement = statements.compile_statement(queryset, position=self.lookup is not None)
            statements.keep(self.key, part, statement)
        if statement is not None:
            return iter(statement.rows(self.low, self.high, self.position))
        queryset = self.values().order_by(*self.ordering)  # not keepable: through the ORM, every time
        if self.lookup is not None:
            queryset = queryset.filter(**{self.lookup: self.position})
        return iter(list(queryset[self.low : self.high]))
