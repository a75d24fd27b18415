"""Turning raw bytes into a valid Order, or into reasons a person can act on."""

from dataclasses import dataclass

from pydantic import ValidationError

from app.domain.model import Order
from app.domain.order_codec import NotDecodable, ValidOrder, decode, from_model


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: the field path (``items[0].price``) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class InvalidOrder(Exception):
    """The bytes are not a valid order; ``violations`` says every reason."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = tuple(violations)
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        return "; ".join(str(v) for v in self.violations)


def parse_order(raw: bytes | str) -> ValidOrder:
    """Validate JSON bytes against the model and the business rules.

    The fast decoder takes what it can; whatever it refuses goes to the pydantic
    model, which either names every reason or (for what only it handles) accepts.
    """
    try:
        order = decode(raw)
    except NotDecodable:
        try:
            order = from_model(Order.model_validate_json(raw))
        except ValidationError as error:
            raise InvalidOrder([_violation(e) for e in error.errors(include_url=False)]) from None
    broken = rule_violations(order)
    if broken:
        raise InvalidOrder(broken)
    return order


def rule_violations(order: ValidOrder) -> list[Violation]:
    """The cross-field money rules that types alone cannot express."""
    payment = order.payment
    broken = []
    items = order.items
    items_total = items[0].total_price if len(items) == 1 else sum([item.total_price for item in items])
    if payment.goods_total != items_total:
        broken.append(Violation(
            "payment.goods_total",
            f"must equal the sum of items[].total_price ({items_total}), got {payment.goods_total}",
        ))
    expected = payment.goods_total + payment.delivery_cost + payment.custom_fee
    if payment.amount != expected:
        broken.append(Violation(
            "payment.amount",
            f"must equal goods_total + delivery_cost + custom_fee ({expected}), got {payment.amount}",
        ))
    return broken


def _violation(error: dict) -> Violation:
    kind, message = error["type"], error["msg"]
    if kind == "json_invalid":
        return Violation("", f"not valid JSON ({error['ctx']['error']})")
    if kind == "model_type" and not error["loc"]:
        return Violation("", "expected a JSON object with the order's fields")
    if kind != "missing":
        message = f"{message}, got {_short(error.get('input'))}"
    return Violation(_path(error["loc"]), message)


def _path(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
