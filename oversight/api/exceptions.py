"""Every API error as JSON: {"detail": "<message>", "errors": {field: [messages]}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.views import exception_handler

from oversight.errors import ConcurrentEditError, DecisionNeedsApproval


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This record changed since you read it; nothing was overwritten."
    default_code = "conflict"


def _validation_detail(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if name == "__all__" else name): [message for item in items for message in item]
            for name, items in error.error_dict.items()
        }
    return {"non_field_errors": list(error.messages)}


def api_exception_handler(exc, context):
    if isinstance(exc, ConcurrentEditError):
        exc = Conflict(str(exc))
    elif isinstance(exc, DecisionNeedsApproval):
        response = exception_handler(Conflict(str(exc)), context)
        response.data = {"detail": str(exc), "errors": {exc.field: [str(exc)]}}
        return response
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_validation_detail(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        first = next(iter(errors.values()), None)
        message = "Invalid input."
        if isinstance(first, list) and first and isinstance(first[0], str):
            message = f"Invalid input: {first[0]}"
        response.data = {"detail": message, "errors": errors}
    else:
        detail = data.get("detail", data) if isinstance(data, dict) else data
        response.data = {"detail": str(detail), "errors": {}}
    _answer_in_json(context)
    return response


def _answer_in_json(context) -> None:
    """An error is JSON whatever format the caller asked for (`?format=csv` included), as the schema says."""
    request = context.get("request")
    if request is not None:
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
