"""The OpenAPI 3 document, generated from the routes themselves.

Each view declares its query and body models (pydantic) and its responses with :func:`operation`;
the document is assembled from the app's URL map, so it cannot drift from the code.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Blueprint, Flask, current_app, jsonify
from pydantic import BaseModel

from api.access import public

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "request_id": {"type": "string", "description": "this request's id, also in the X-Request-Id header and "
                                                        "in the server's log lines of the request"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}, "location": {"type": "string"}}}},
    },
    "required": ["type", "title", "status"],
}


#: What any operation may answer besides its own responses.
DEFAULT_ERROR = ("Error. 503 with Retry-After (type urn:grid-dispatch:problem:database-unavailable) while the "
                 "database cannot be reached: send the request again after that many seconds")


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    #: status -> (description, JSON schema or pydantic model or None[, media type if not JSON])
    responses: dict[int, tuple[str, Any]] = field(default_factory=dict)
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The JSON schema of a multipart/form-data body (files), for a view that takes no JSON ``body``.
    form: dict[str, Any] | None = None


def operation(summary: str, tag: str, **details: Any) -> Callable:
    """Declare how a view appears in the OpenAPI document."""

    def mark(view: Callable) -> Callable:
        view.openapi = Operation(summary, tag, **details)
        return view

    return mark


REF_TEMPLATE = "#/components/schemas/{model}"


def _schema(thing: Any, components: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema, its nested models moved into ``components`` (where its $refs point)."""
    if isinstance(thing, type) and issubclass(thing, BaseModel):
        schema = thing.model_json_schema(ref_template=REF_TEMPLATE)
        for name, nested in schema.pop("$defs", {}).items():
            if components.setdefault(name, nested) != nested:
                raise ValueError(f"two different models are named {name} in the OpenAPI document")
        return schema
    return thing


#: The header of every POST that is safe to send again (api/idempotency.py).
IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "1-200 printable ASCII characters, new for each request: the same key and request again get "
                   "the first answer (Idempotent-Replayed: true); the same key with another request is a 422",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}


def _parameters(op: Operation, path_names: list[str], components: dict[str, Any],
                idempotent: bool) -> list[dict[str, Any]]:
    params = [{"name": n, "in": "path", "required": True, "schema": op.path_params.get(n, {"type": "string"})}
              for n in path_names]
    if op.query is not None:
        schema = _schema(op.query, components)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required,
                           "description": prop.pop("description", ""), "schema": prop})
    if idempotent:
        params.append(IDEMPOTENCY_KEY_PARAMETER)
    return params


def build_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every declared route of ``app``."""
    paths: dict[str, dict[str, Any]] = {}
    components: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        op: Operation | None = getattr(view, "openapi", None)
        if op is None:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        names = re.findall(r"{(\w+)}", path)
        responses = {
            str(status): {"description": text, **({"content": {
                (media[0] if media else "application/problem+json" if status >= 400 else "application/json"):
                    {"schema": _schema(schema, components)}
            }} if schema is not None else {})}
            for status, (text, schema, *media) in op.responses.items()
        }
        responses.setdefault("default", {"description": DEFAULT_ERROR, "content": {
            "application/problem+json": {"schema": PROBLEM_SCHEMA}}})
        parameters = _parameters(op, names, components, getattr(view, "idempotent", False))
        entry: dict[str, Any] = {"summary": op.summary, "tags": [op.tag], "operationId": rule.endpoint,
                                 "parameters": parameters, "responses": responses}
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {"application/json": {"schema": _schema(op.body, components)}}}
        if op.form is not None:
            entry["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": op.form}}}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "Grid fault dispatch API", "version": "1",
                 "description": "Fault-repair dispatch for electric distribution utilities."},
        "paths": paths,
        "components": {"schemas": components},
    }


blueprint = Blueprint("openapi", __name__)


@blueprint.get("/api/v1/openapi.json")
@public
@operation("This API's OpenAPI 3 document", "meta", responses={200: ("OpenAPI document", {"type": "object"})})
def openapi_document():
    return jsonify(build_document(current_app))
