"""Realistic fake orders (plain dicts in the canonical sample's shape) and broken ones.

Used by the producer and by tests. No I/O: a seeded factory always yields the
same orders for the same ``now``. The orders follow the model's fields, so a new
field gets a value without a change here.
"""

import json
import random
import string
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, NamedTuple, get_args, get_origin, get_type_hints

import msgspec

from app.domain.model import Order

_LOWER_DIGITS = string.ascii_lowercase + string.digits


class Country(NamedTuple):
    phone_prefix: str
    phone_digits: int
    zip_digits: int
    currency: str
    locale: str
    cities: list[tuple[str, str]]  # (city, region)
    streets: list[str]


_COUNTRIES = {
    "RU": Country(
        "+79", 9, 6, "RUB", "ru",
        [("Moscow", "Moscow"), ("Saint Petersburg", "Leningrad Oblast"), ("Kazan", "Tatarstan"),
         ("Novosibirsk", "Novosibirsk Oblast"), ("Yekaterinburg", "Sverdlovsk Oblast")],
        ["ul. Tverskaya", "Nevsky prospekt", "ul. Lenina", "Ploshad Mira", "ul. Baumana", "Leninsky prospekt"],
    ),
    "IL": Country(
        "+9725", 8, 7, "USD", "en",
        [("Kiryat Motzkin", "Kraiot"), ("Haifa", "Haifa District"), ("Tel Aviv", "Tel Aviv District")],
        ["Herzl St", "Rothschild Blvd", "Ben Yehuda St", "Dizengoff St", "HaNassi Blvd"],
    ),
    "DE": Country(
        "+4915", 9, 5, "EUR", "de",
        [("Berlin", "Berlin"), ("Munich", "Bavaria"), ("Hamburg", "Hamburg"), ("Cologne", "North Rhine-Westphalia")],
        ["Hauptstrasse", "Bahnhofstrasse", "Schillerstrasse", "Gartenweg", "Friedrichstrasse"],
    ),
    "US": Country(
        "+1", 10, 5, "USD", "en",
        [("New York", "New York"), ("Austin", "Texas"), ("Seattle", "Washington"), ("Chicago", "Illinois")],
        ["Main St", "Oak Ave", "Maple Dr", "Broadway", "Sunset Blvd", "Elm St"],
    ),
}  # fmt: skip
_FIRST = [
    "Ivan", "Anna", "Dmitry", "Olga", "Sergey", "Maria", "David", "Noa", "Yosef", "Tamar",
    "Lukas", "Hannah", "Felix", "Emma", "James", "Olivia", "Michael", "Sophia", "Test",
]  # fmt: skip
_LAST = [
    "Ivanov", "Petrova", "Smirnov", "Kuznetsova", "Cohen", "Levi", "Mizrahi", "Muller",
    "Schmidt", "Weber", "Smith", "Johnson", "Brown", "Miller", "Testov",
]  # fmt: skip
_MAIL = ["gmail.com", "yandex.ru", "mail.ru", "outlook.com", "gmx.de", "icloud.com"]
_PRODUCTS = [
    ("Vivienne Sabo", "Mascaras"), ("Maybelline", "Lipstick"), ("L'Oreal", "Shampoo"), ("Nike", "Running Shoes"),
    ("Adidas", "Hoodie"), ("Levi's", "Jeans 501"), ("Zara", "Dress"), ("Xiaomi", "Power Bank 20000 mAh"),
    ("Samsung", "Galaxy Buds"), ("Apple", "USB-C Cable"), ("Lego", "Classic Bricks Set"),
    ("Tefal", "Frying Pan 28 cm"), ("Bosch", "Cordless Drill"), ("Gloria Jeans", "T-shirt"),
    ("Philips", "Electric Toothbrush"),
]  # fmt: skip
_SIZES = ["0", "XS", "S", "M", "L", "XL", "38", "42", "44"]
_PROVIDERS = ["wbpay", "yookassa", "stripe", "paypal", "cloudpayments"]
_BANKS = ["alpha", "sber", "tinkoff", "vtb", "raiffeisen", "hapoalim", "leumi", "deutsche", "chase"]
_DELIVERY = ["meest", "cdek", "boxberry", "dhl", "dpd", "pochta", "ups", "wb"]
_MONEY_SCALE = {"USD": 1, "EUR": 1, "RUB": 90}
_RECENT = timedelta(days=7)


class OrderFactory:
    """Makes valid orders as dicts and invalid order messages as bytes."""

    INVALID_KINDS = (
        "not_json",
        "truncated_json",
        "json_array",
        "string_for_int",
        "negative_price",
        "broken_amount",
        "missing_field",
        "empty_items",
        "bad_order_uid",
    )

    def __init__(self, seed: int | None = None, *, now: datetime | None = None) -> None:
        """``now`` anchors ``date_created`` (last 7 days); defaults to the current time."""
        self._rng = random.Random(seed)
        self._now = (now or datetime.now(UTC)).astimezone(UTC)
        self._invalid_count = 0

    def _token(self, length: int, alphabet: str = _LOWER_DIGITS) -> str:
        return "".join(self._rng.choices(alphabet, k=length))

    def _digits(self, length: int) -> str:
        return self._token(length, string.digits)

    def order(self) -> dict[str, Any]:
        """A valid order dict, keys in the model's order; passes ``parse_order``.

        The model's fields are walked: the realistic values below fill the fields
        where realism matters, any other field gets a value of its type."""
        return self._value(Order, self._realistic())  # type: ignore[no-any-return]

    def _value(self, hint: Any, known: Any = None) -> Any:
        """A value of type ``hint``: ``known`` (the realistic one) when given, filled in where it lacks fields."""
        base = get_args(hint)[0] if get_origin(hint) is Annotated else hint
        if isinstance(base, type) and issubclass(base, msgspec.Struct):
            fields = get_type_hints(base, include_extras=True).items()
            return {name: self._value(inner, (known or {}).get(name)) for name, inner in fields}
        if get_origin(base) is list:
            return [self._value(get_args(base)[0], part) for part in known or [None]]
        if known is not None:
            return known
        if base is int:
            return self._rng.randint(1, 9_999_999)
        return self._now.strftime("%Y-%m-%dT%H:%M:%SZ") if base is datetime else self._token(8)

    def _realistic(self) -> dict[str, Any]:
        rng = self._rng
        phone, phone_len, zip_len, currency, locale, cities, streets = _COUNTRIES[rng.choice(list(_COUNTRIES))]
        uid, track = self._token(20), "WBIL" + self._token(10, string.ascii_uppercase)
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        city, region = rng.choice(cities)
        scale = _MONEY_SCALE[currency]
        items = [self._item(track, scale) for _ in range(rng.randint(1, 5))]
        goods_total = sum(item["total_price"] for item in items)
        delivery_cost = rng.choice([0, 0, 300, 500, 1000, 1500]) * scale
        custom_fee = 0 if rng.random() < 0.8 else rng.randint(1, 500) * scale
        created = self._now - timedelta(seconds=rng.uniform(0, _RECENT.total_seconds()))
        return {
            "order_uid": uid,
            "track_number": track,
            "entry": "WBIL",
            "delivery": {
                "name": f"{first} {last}",
                "phone": phone + self._digits(phone_len),
                "zip": str(rng.randint(1, 9)) + self._digits(zip_len - 1),
                "city": city,
                "address": f"{rng.choice(streets)} {rng.randint(1, 150)}",
                "region": region,
                "email": f"{first}.{last}{rng.randint(1, 999)}@{rng.choice(_MAIL)}".lower(),
            },
            "payment": {
                "transaction": uid,
                "request_id": "" if rng.random() < 0.8 else self._token(12),
                "currency": currency,
                "provider": rng.choice(_PROVIDERS),
                "amount": goods_total + delivery_cost + custom_fee,
                "payment_dt": int(created.timestamp()) - rng.randint(0, 600),
                "bank": rng.choice(_BANKS),
                "delivery_cost": delivery_cost,
                "goods_total": goods_total,
                "custom_fee": custom_fee,
            },
            "items": items,
            "locale": locale,
            "customer_id": f"{first.lower()}{rng.randint(1, 99999)}",
            "delivery_service": rng.choice(_DELIVERY),
            "date_created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def _item(self, track: str, scale: int) -> dict[str, Any]:
        rng = self._rng
        brand, name = rng.choice(_PRODUCTS)
        price, sale = rng.randint(100, 20000) * scale, rng.choice([0, 0, 5, 10, 15, 20, 25, 30, 40, 50])
        return {
            "track_number": track,
            "price": price,
            "name": name,
            "sale": sale,
            "size": rng.choice(_SIZES),
            "total_price": price * (100 - sale) // 100,
            "brand": brand,
            "status": rng.choice([202, 200, 201, 203, 400]),
        }

    def invalid_message(self) -> bytes:
        """Bytes that are not a valid order; each call takes the next of ``INVALID_KINDS``."""
        kind = self.INVALID_KINDS[self._invalid_count % len(self.INVALID_KINDS)]
        self._invalid_count += 1
        order = self.order()
        if kind == "not_json":
            return self._rng.choice([b"hello, this is not an order", b"<order id='1'/>", b"\x00\xff\xfe"])
        if kind == "truncated_json":
            text = _dump(order)
            return text[: self._rng.randint(1, len(text) - 1)]
        if kind == "json_array":
            return _dump([order])
        if kind == "string_for_int":
            order["items"][0]["price"] = str(order["items"][0]["price"])
        elif kind == "negative_price":
            order["items"][0]["price"] = -self._rng.randint(1, 1000)
        elif kind == "broken_amount":
            order["payment"]["amount"] += self._rng.randint(1, 100)
        elif kind == "missing_field":
            del order[self._rng.choice(["order_uid", "delivery", "payment", "items", "date_created"])]
        elif kind == "empty_items":
            order["items"] = []
        else:  # bad_order_uid
            order["order_uid"] = self._rng.choice(
                ["", "bad uid " + self._token(6), "x" * 65, "uid/" + self._token(6) + "!"]
            )
        return _dump(order)


def _dump(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
