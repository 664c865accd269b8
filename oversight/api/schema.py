"""The OpenAPI schema: the bearer-token scheme (so Swagger UI offers to send one) and the documented errors."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "oversight.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from `manage.py issue_token` (scope read, confidential or write).",
        }


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error: a message, and for invalid input the messages per field.",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "{field: [messages]}; empty unless the input was invalid.",
            "additionalProperties": {},
        },
    },
    "required": ["detail", "errors"],
}
ERROR_DESCRIPTIONS = {
    "400": "Invalid input or query parameters (the field named in `errors`).",
    "401": "No valid token or session.",
    "403": "Authenticated, but this token's scope or the user's role does not allow it.",
    "404": "No such record, or one the caller may not see (answered alike), or no such page.",
    "409": "The record changed since the version sent; nothing was overwritten.",
    "429": "Too many requests for this token or user; retry after the Retry-After header.",
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document the error answers (shape {detail, errors}) of every operation.

    Every operation can answer 400 (a bad filter or page size), 401, 403, 404 (a missing or hidden
    record, an unknown page) and 429; a write can also answer 409 (an edit on an old version).
    """
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            codes = ["400", "401", "403", "404", "429"] + (["409"] if method != "get" else [])
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(
                    code,
                    {"description": ERROR_DESCRIPTIONS[code], "content": {"application/json": {"schema": reference}}},
                )
    return result
