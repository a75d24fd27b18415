"""The order: its fields, their types and every rule it must keep.

These msgspec Structs are the one declaration. Ingest decodes straight into them
(``order_codec.py``); the pydantic model that names every reason a bad order is
refused, and the JSON schema, are generated from them (``struct_models.py``).

The rules, all of them here:

- JSON types are strict: ``"1817"`` is not an int, ``5.0`` is not an int either.
- Unknown fields are ignored (a tolerant reader); every listed field is required.
- Text holds no NUL (PostgreSQL text cannot store it).
- Money and counts are whole, non-negative and fit a PostgreSQL bigint.
- ``order_uid`` is 1 to 64 of ``A-Z a-z 0-9 _ -``; an order has at least one item.
- ``date_created`` is an RFC 3339 date-time with a UTC offset (see ``utc_time``).
- The money adds up (see ``money_violations``).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any

import msgspec
from pydantic import AwareDatetime, BaseModel, BeforeValidator

from app.domain.struct_models import pydantic_model

INT64_MAX = 2**63 - 1
ORDER_UID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
NO_NUL_PATTERN = r"^[^\x00]*$"
AwareTime = Annotated[datetime, msgspec.Meta(tz=True)]
_RFC_3339 = "an RFC 3339 date-time such as 2021-11-26T06:22:19Z"


def to_utc(moment: datetime) -> datetime:
    """The same instant in UTC, which must still fall within the years 1 to 9999."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+03:00
        raise ValueError("is outside the years 1 to 9999 once converted to UTC") from None


def utc_time(value: object) -> datetime:
    """``date_created``: an RFC 3339 date-time with a UTC offset (``Z`` or ``±hh:mm``), in UTC.

    Times are kept to the microsecond: finer digits (Go producers send nanoseconds)
    are rounded to the nearest microsecond, as PostgreSQL rounds them. Both decoders
    read the text with msgspec's RFC 3339 parser, so they cannot disagree on a time."""
    if not isinstance(value, str):
        raise ValueError(f"must be a string: {_RFC_3339}")
    try:
        moment = msgspec.convert(value, AwareTime)
    except msgspec.ValidationError as error:
        if "timezone" in str(error):
            raise ValueError("needs a UTC offset (a timezone) such as Z or +03:00") from None
        raise ValueError(f"is not {_RFC_3339}") from None
    return to_utc(moment)


Text = Annotated[str, msgspec.Meta(extra_json_schema={"pattern": NO_NUL_PATTERN})]  # see order_codec.decode
Count = Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)]
# re.search's "$" would also match before a final newline; \Z does not (the schema says "$").
OrderUid = Annotated[
    str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}\Z", extra_json_schema={"pattern": ORDER_UID_PATTERN})
]
UtcTime = Annotated[AwareDatetime, BeforeValidator(utc_time)]


# frozen and gc=False: orders never change and never form cycles, so the cycle collector skips them.
class Delivery(msgspec.Struct, frozen=True, gc=False):
    """Where and to whom the order goes."""

    name: Text
    phone: Text
    zip: Text
    city: Text
    address: Text
    region: Text
    email: Text


class Payment(msgspec.Struct, frozen=True, gc=False):
    """How the order was paid; amounts are in minor units of ``currency``."""

    transaction: Text
    request_id: Text
    currency: Text
    provider: Text
    amount: Count
    payment_dt: Count
    bank: Text
    delivery_cost: Count
    goods_total: Count
    custom_fee: Count


class Item(msgspec.Struct, frozen=True, gc=False):
    """One line of the order."""

    chrt_id: Count
    track_number: Text
    price: Count
    rid: Text
    name: Text
    sale: Count
    size: Text
    total_price: Count
    nm_id: Count
    brand: Text
    status: Count


class Order(msgspec.Struct, frozen=True, gc=False):
    """An order, field for field the shape of the canonical sample."""

    order_uid: OrderUid
    track_number: Text
    entry: Text
    delivery: Delivery
    payment: Payment
    items: Annotated[list[Item], msgspec.Meta(min_length=1)]
    locale: Text
    internal_signature: Text
    customer_id: Text
    delivery_service: Text
    shardkey: Text
    sm_id: Count
    date_created: AwareTime
    oof_shard: Text


@cache
def order_model() -> type[BaseModel]:
    """The pydantic twin of ``Order``, generated from it: it names every reason an order is refused."""
    return pydantic_model(Order, UtcTime)


def order_json_schema(ref_template: str) -> dict[str, Any]:
    """The order's JSON schema, its parts as ``$defs`` referenced through ``ref_template``."""
    return order_model().model_json_schema(ref_template=ref_template)


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: the field path (``items[0].price``) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def money_violations(payment: Payment, item_totals: Iterable[int]) -> list[Violation]:
    """``goods_total`` is the sum of the items' ``total_price``, and
    ``amount = goods_total + delivery_cost + custom_fee``."""
    broken = []
    items_total = sum(item_totals)
    if payment.goods_total != items_total:
        broken.append(
            Violation(
                "payment.goods_total",
                f"must equal the sum of items[].total_price ({items_total}), got {payment.goods_total}",
            )
        )
    expected = payment.goods_total + payment.delivery_cost + payment.custom_fee
    if payment.amount != expected:
        broken.append(
            Violation(
                "payment.amount",
                f"must equal goods_total + delivery_cost + custom_fee ({expected}), got {payment.amount}",
            )
        )
    return broken
