"""Ecommerce items (`ec_items`) as Matomo's GoalManager cleans them: pure, no I/O.

matomo.js sends `ec_items` as a JSON array of `[sku, name, category, price, quantity]`
(category may be an array of up to five). As Matomo: an item without a SKU is skipped, a
missing or non-numeric price is 0, a missing quantity 1. Text is cut to the text limit
instead of refused. What is not JSON, not an array, or holds numbers out of range is
refused: it is malformed, not long.
"""

from __future__ import annotations

import math

import orjson

MAX_TEXT = 1024
MAX_CATEGORIES = 5  # Matomo's MAXIMUM_PRODUCT_CATEGORIES
MAX_ITEMS = 500
MAX_PRICE = 1e15
MAX_QUANTITY = 1_000_000_000


class BadItems(ValueError):
    pass


def _text(value: object) -> str:
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, bool) or value is None:
        return ""
    elif isinstance(value, int | float):
        text = repr(value) if isinstance(value, float) else str(value)
    else:
        return ""
    if "\0" in text:
        raise BadItems("NUL byte in ec_items")
    return text[:MAX_TEXT]


def _category(value: object) -> str:
    if isinstance(value, list):
        names = [t for t in (_text(v) for v in value) if t][:MAX_CATEGORIES]
        return ", ".join(names)[:MAX_TEXT]
    return _text(value)


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip()) if value.strip().isascii() else math.nan
        except ValueError:
            return None
    else:
        return None
    if not math.isfinite(number):
        return None
    return number


def clean_items(raw: str) -> str | None:
    """The cleaned items as JSON `[[sku, name, category, price, quantity], ...]`, or None when
    none is left. BadItems for input that is malformed."""
    try:
        items = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadItems("ec_items is not JSON") from None
    if isinstance(items, dict):  # {"0": [...], ...}: what PHP's json_encode of a map gives
        items = list(items.values())
    if not isinstance(items, list):
        raise BadItems("ec_items must be a JSON array")
    if len(items) > MAX_ITEMS:
        raise BadItems(f"ec_items: at most {MAX_ITEMS} items")
    cleaned: list[list[object]] = []
    for item in items:
        if not isinstance(item, list) or not item:
            continue
        sku = _text(item[0])
        if not sku:
            continue
        fields = [*item[1:5], None, None, None, None][:4]
        price = _number(fields[2])
        if price is not None and abs(price) > MAX_PRICE:
            raise BadItems("ec_items: price out of range")
        quantity = _number(fields[3])
        if quantity is not None and abs(quantity) > MAX_QUANTITY:
            raise BadItems("ec_items: quantity out of range")
        cleaned.append(
            [
                sku,
                _text(fields[0]),
                _category(fields[1]),
                round(price, 2) if price is not None else 0,
                int(quantity) if quantity else 1,
            ]
        )
    return orjson.dumps(cleaned).decode() if cleaned else None
