"""Reading request bodies and queries into pydantic models (errors become problem+json)."""
from __future__ import annotations

from typing import TypeVar

from flask import request
from pydantic import BaseModel

from dispatch.errors import DispatchError

Model = TypeVar("Model", bound=BaseModel)


class MalformedBody(DispatchError):
    status = 400
    slug = "malformed-body"
    title = "The request body is not a JSON object"


def json_body(model: type[Model]) -> Model:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise MalformedBody("send a JSON object with Content-Type: application/json")
    return model.model_validate(body)


def query_args(model: type[Model]) -> Model:
    return model.model_validate(request.args.to_dict())
