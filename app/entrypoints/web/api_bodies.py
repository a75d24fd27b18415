"""The JSON bodies the handlers write besides the order, as models whose schemas the OpenAPI document shows.

They describe what ``problems.py``, ``order_api.py`` and ``health.py`` write; the
order itself comes from the model's own schema (``order_json_schema``).
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.json_schema import models_json_schema

from app.domain.model import ORDER_UID_PATTERN
from app.entrypoints.web import api_params as params

Schema = dict[str, Any]
REF = "#/components/schemas/{model}"  # where OpenAPI keeps schemas
Checks = Annotated[dict[str, bool], Field(description="Each part that must hold for the service to take traffic.")]


class Problem(BaseModel):
    """RFC 9457 problem details; some problems carry more members (order_uid, parameter, ...)."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(description="A URI reference; about:blank for plain HTTP statuses.")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str = ""
    instance: str = ""


class Violation(BaseModel):
    path: str = Field(description="Field path such as items[0].price; empty for the whole body.")
    message: str


class ValidationProblem(Problem):
    errors: list[Violation] = Field(min_length=1)


class NotReady(Problem):
    checks: Checks
    cached_orders: int = Field(ge=0)


class OrderPage(BaseModel):
    items: Annotated[
        list[Any],
        WithJsonSchema({"type": "array", "maxItems": params.LIMIT_MAX, "items": {"$ref": REF.format(model="Order")}}),
    ]
    next_cursor: Annotated[
        Annotated[str, Field(pattern=params.CURSOR_PATTERN, description="Opaque: pass it back as it is.")] | None,
        Field(description="The cursor of the next (older) page; null on the last page."),
    ]


class Accepted(BaseModel):
    order_uid: Annotated[str, Field(pattern=ORDER_UID_PATTERN)]
    status: Literal["accepted"]


class Liveness(BaseModel):
    status: Literal["alive"]


class Readiness(BaseModel):
    status: Literal["ready"]
    checks: Checks
    cached_orders: int = Field(ge=0)


def body_schemas() -> dict[str, Schema]:
    """Each body above by its class name, as OpenAPI's ``components/schemas`` holds it."""
    models = (Problem, Violation, ValidationProblem, NotReady, OrderPage, Accepted, Liveness, Readiness)
    _, schemas = models_json_schema([(m, "serialization") for m in models], ref_template=REF)
    return dict(schemas["$defs"])
