"""The order as producers send it: pydantic v2 models with strict JSON types.

Strict mode means a string where an int belongs is rejected, not coerced.
Unknown fields are ignored (tolerant reader). Cross-field rules live in
``validation.py`` so that each violation can name its own field path.
"""

from datetime import datetime, timezone
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

INT64_MAX = 2**63 - 1
ORDER_UID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

# PostgreSQL text cannot hold NUL, so it is refused here rather than at storage.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, Field(pattern=NO_NUL)]
# Money and counts: non-negative and within PostgreSQL bigint.
Count = Annotated[int, Field(ge=0, le=INT64_MAX)]
OrderUid = Annotated[str, Field(pattern=ORDER_UID_PATTERN)]


def to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+03:00 falls before year 1 in UTC
        raise ValueError("is outside the years 1 to 9999 once converted to UTC") from None


UtcDatetime = Annotated[AwareDatetime, AfterValidator(to_utc)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class Delivery(_Strict):
    """Where and to whom the order goes."""

    name: Text
    phone: Text
    zip: Text
    city: Text
    address: Text
    region: Text
    email: Text


class Payment(_Strict):
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


class Item(_Strict):
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


class Order(_Strict):
    """An order, field for field the shape of the canonical sample."""

    order_uid: OrderUid
    track_number: Text
    entry: Text
    delivery: Delivery
    payment: Payment
    items: Annotated[list[Item], Field(min_length=1)]
    locale: Text
    internal_signature: Text
    customer_id: Text
    delivery_service: Text
    shardkey: Text
    sm_id: Count
    date_created: UtcDatetime
    oof_shard: Text
