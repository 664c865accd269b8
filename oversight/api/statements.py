"""A list page's SQL, compiled once per process for each list, caller's visibility, data version and filters.

On the API's busiest lists, building a page's query cost more than running it: the filters, Q
objects, subqueries and Django's SQL compiler took 1–1.5 ms a request, the page query 0.1–0.6 ms.
A client paging through a list asks the same query again with only the page's position changed,
so the compiled statement is kept (a bounded memo in each process) and run with the new position:

- the key holds everything the statement depends on: the view, the caller's visibility key
  (oversight.permissions.visibility_key names the rows visible_to leaves them, so a `read` token
  never runs a statement built for a confidential one), the data version (the indicator codes, the
  organisation codes and the served runs' pointers the filters resolve are read at it) and every
  query parameter except the page's position and size;
- a cursor's position is a parameter: the statement is compiled with a sentinel in its place and
  kept only when the sentinel is found exactly once among its parameters; LIMIT and OFFSET are
  appended as Django's compiler appends them;
- the rows pass through the compiler's converters, as a values_list's rows do.

A statement is compiled only from a queryset the view built (visible_to, then the filters), so the
filters have accepted its parameters first: a request they refuse is refused (400) as before.
"""

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections

from oversight import dataversion, permissions

SIZE = 512  # statements (a few kB each) kept per process
POSITION = -(2**62) - 7919  # stands for a cursor's position while compiling: no id is negative

_STATEMENTS: dict[tuple, dict] = {}


class Statement:
    """One compiled SELECT without its LIMIT: run it for a page with `rows(low, high, position)`."""

    def __init__(self, alias: str, sql: str | None, params: tuple, position_at: int | None, converters: dict):
        self.alias = alias
        self.sql = sql  # None: the filters match nothing (Django's EmptyResultSet)
        self.params = params
        self.position_at = position_at
        self.converters = list(converters.items())

    def rows(self, low: int, high: int | None, position=None) -> list[tuple]:
        if self.sql is None:
            return []
        connection = connections[self.alias]
        params = self.params
        if self.position_at is not None:
            params = list(params)
            params[self.position_at] = position
        limit = connection.ops.limit_offset_sql(low, high)
        with connection.cursor() as cursor:
            cursor.execute(f"{self.sql} {limit}" if limit else self.sql, params)
            rows = cursor.fetchall()
        if not self.converters:
            return rows
        out = []
        for row in rows:
            row = list(row)
            for index, (converters, expression) in self.converters:
                value = row[index]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[index] = value
            out.append(tuple(row))
        return out


def compile_statement(queryset, *, position: bool = False) -> Statement | None:
    """The statement of an unsliced values_list queryset (filtered by POSITION when `position`), or None
    when it cannot be kept (its SQL would not be the same for another position, or its rows need more
    than converters)."""
    compiler = queryset.query.get_compiler(queryset.db)
    try:
        sql, params = compiler.as_sql()
        if not sql:
            raise EmptyResultSet
    except EmptyResultSet:
        return Statement(queryset.db, None, (), None, {})
    fields = [selected[0] for selected in compiler.select[: compiler.col_count]]
    if compiler.has_extra_select or compiler.has_composite_fields(fields) or queryset.query.is_sliced:
        return None
    position_at = None
    if position:
        found = [index for index, value in enumerate(params) if type(value) is int and value == POSITION]
        if len(found) != 1:
            return None
        position_at = found[0]
    return Statement(queryset.db, sql, tuple(params), position_at, compiler.get_converters(fields))


def list_key(view, request, ignored: set[str]) -> tuple | None:
    """What a list's statements depend on besides the page (None: its rows' visibility has no key, so none is kept)."""
    model = view.get_serializer_class().Meta.model
    try:
        visibility = permissions.visibility_key(request.user, model)
    except ImproperlyConfigured:
        return None
    parameters = tuple(
        sorted((name, tuple(values)) for name, values in request.query_params.lists() if name not in ignored)
    )
    return (type(view), visibility, dataversion.of_request(request), parameters)


def statements_of(key: tuple) -> dict | None:
    """The statements kept for a list key, or None before the first has been compiled."""
    return _STATEMENTS.get(key)


def keep(key: tuple, part, statement: Statement | None) -> Statement | None:
    """Keep (and return) a list's statement for one page shape (`part`: its ordering and position lookup);
    None: it cannot be kept, and the page is read through the ORM."""
    held = _STATEMENTS.get(key)
    if held is None:
        while len(_STATEMENTS) >= SIZE:  # the oldest list goes first
            try:
                _STATEMENTS.pop(next(iter(_STATEMENTS)), None)
            except (StopIteration, RuntimeError):  # emptied or changed by another thread meanwhile
                break
        held = _STATEMENTS.setdefault(key, {})
    held[part] = statement
    return statement


def clear() -> None:
    _STATEMENTS.clear()
