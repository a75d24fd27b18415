"""A pydantic model generated from a msgspec Struct: the same fields, types and constraints.

The Structs declare the order once; pydantic adds what they lack, a list of every
reason a value is refused (with paths) and a JSON schema. ``msgspec.Meta``
constraints become ``pydantic.Field`` ones; a ``pattern`` given in the Meta's
``extra_json_schema`` wins over its ``pattern`` (a rule stated for JSON schema
readers that the Struct checks another way).
"""

from datetime import datetime
from typing import Annotated, Any, get_args, get_origin, get_type_hints

import msgspec
from pydantic import BaseModel, ConfigDict, Field, create_model

STRICT = ConfigDict(strict=True, extra="ignore", frozen=True)


def pydantic_model(struct: type[msgspec.Struct], time_type: Any) -> type[BaseModel]:
    """The strict pydantic twin of ``struct`` (nested Structs too); ``datetime`` fields get ``time_type``."""
    fields: dict[str, Any] = {
        name: (_pydantic_type(hint, time_type), ...)
        for name, hint in get_type_hints(struct, include_extras=True).items()
    }
    model: type[BaseModel] = create_model(struct.__name__, __config__=STRICT, __doc__=struct.__doc__, **fields)
    return model


def _pydantic_type(hint: Any, time_type: Any) -> Any:
    if get_origin(hint) is Annotated:
        base, *metas = get_args(hint)
        constraints: dict[str, Any] = {}
        for meta in metas:
            if isinstance(meta, msgspec.Meta):
                pattern = (meta.extra_json_schema or {}).get("pattern", meta.pattern)
                given = {"ge": meta.ge, "le": meta.le, "min_length": meta.min_length, "pattern": pattern}
                constraints |= {key: value for key, value in given.items() if value is not None}
        inner = _pydantic_type(base, time_type)
        return Annotated[inner, Field(**constraints)] if constraints else inner
    if hint is datetime:
        return time_type
    if get_origin(hint) is list:
        return list[_pydantic_type(get_args(hint)[0], time_type)]  # type: ignore[misc]
    if isinstance(hint, type) and issubclass(hint, msgspec.Struct):
        return pydantic_model(hint, time_type)
    return hint
