"""Turning raw bytes into a valid order, or into reasons a person can act on."""

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from app.domain.model import Order, Violation, money_violations, order_model
from app.domain.order_codec import NotDecodable, decode, from_dict


class InvalidOrder(Exception):
    """The bytes are not a valid order; ``violations`` says every reason."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = tuple(violations)
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        return "; ".join(str(v) for v in self.violations)


def parse_order(raw: bytes) -> Order:
    """Validate JSON bytes against the model and the money rules.

    The fast decoder takes what it can; whatever it refuses goes to the pydantic
    model, which either names every reason or accepts.
    """
    try:
        order = decode(raw)
    except NotDecodable:
        try:
            order = from_dict(order_model().model_validate_json(raw).model_dump())
        except ValidationError as error:
            raise InvalidOrder([_violation(e) for e in error.errors(include_url=False)]) from None
    broken = money_violations(order.payment, [item.total_price for item in order.items])
    if broken:
        raise InvalidOrder(broken)
    return order


def _violation(error: ErrorDetails) -> Violation:
    kind, message = error["type"], error["msg"]
    if kind == "json_invalid":
        return Violation("", f"not valid JSON ({error['ctx']['error']})")
    if kind == "model_type" and not error["loc"]:
        return Violation("", "expected a JSON object with the order's fields")
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
    if kind != "missing":
        message = f"{message}, got {_short(error.get('input'))}"
    return Violation(_path(error["loc"]), message)


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
