"""How Shopify's Admin REST API writes values: JST timestamps, money strings, ids, addresses.

Shared by the Shopify simulator's resources. Amounts are JPY, which has no minor unit, so
Shopify writes them as whole-number strings ("12100"); timestamps carry the shop's offset
(Asia/Tokyo, "+09:00") at second precision.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

__all__ = [
    "CURRENCY",
    "JST",
    "YEN",
    "Presentment",
    "address",
    "gid",
    "money",
    "money_set",
    "parse_timestamp",
    "province",
    "synthetic_id",
    "timestamp",
]

JST: Final = timezone(timedelta(hours=9), "JST")
CURRENCY: Final = "JPY"

# Japan's prefectures as Shopify names them (its zone names keep the macrons), by ISO 3166-2.
_PREFECTURES: Final = {
    "北海道": ("Hokkaidō", "JP-01"),
    "青森県": ("Aomori", "JP-02"),
    "岩手県": ("Iwate", "JP-03"),
    "宮城県": ("Miyagi", "JP-04"),
    "秋田県": ("Akita", "JP-05"),
    "山形県": ("Yamagata", "JP-06"),
    "福島県": ("Fukushima", "JP-07"),
    "茨城県": ("Ibaraki", "JP-08"),
    "栃木県": ("Tochigi", "JP-09"),
    "群馬県": ("Gunma", "JP-10"),
    "埼玉県": ("Saitama", "JP-11"),
    "千葉県": ("Chiba", "JP-12"),
    "東京都": ("Tōkyō", "JP-13"),
    "神奈川県": ("Kanagawa", "JP-14"),
    "新潟県": ("Niigata", "JP-15"),
    "富山県": ("Toyama", "JP-16"),
    "石川県": ("Ishikawa", "JP-17"),
    "福井県": ("Fukui", "JP-18"),
    "山梨県": ("Yamanashi", "JP-19"),
    "長野県": ("Nagano", "JP-20"),
    "岐阜県": ("Gifu", "JP-21"),
    "静岡県": ("Shizuoka", "JP-22"),
    "愛知県": ("Aichi", "JP-23"),
    "三重県": ("Mie", "JP-24"),
    "滋賀県": ("Shiga", "JP-25"),
    "京都府": ("Kyōto", "JP-26"),
    "大阪府": ("Ōsaka", "JP-27"),
    "兵庫県": ("Hyōgo", "JP-28"),
    "奈良県": ("Nara", "JP-29"),
    "和歌山県": ("Wakayama", "JP-30"),
    "鳥取県": ("Tottori", "JP-31"),
    "島根県": ("Shimane", "JP-32"),
    "岡山県": ("Okayama", "JP-33"),
    "広島県": ("Hiroshima", "JP-34"),
    "山口県": ("Yamaguchi", "JP-35"),
    "徳島県": ("Tokushima", "JP-36"),
    "香川県": ("Kagawa", "JP-37"),
    "愛媛県": ("Ehime", "JP-38"),
    "高知県": ("Kōchi", "JP-39"),
    "福岡県": ("Fukuoka", "JP-40"),
    "佐賀県": ("Saga", "JP-41"),
    "長崎県": ("Nagasaki", "JP-42"),
    "熊本県": ("Kumamoto", "JP-43"),
    "大分県": ("Ōita", "JP-44"),
    "宮崎県": ("Miyazaki", "JP-45"),
    "鹿児島県": ("Kagoshima", "JP-46"),
    "沖縄県": ("Okinawa", "JP-47"),
}
_BY_SHORT_NAME: Final = {
    **{name.rstrip("都府県"): value for name, value in _PREFECTURES.items()},
    **{value[0]: value for value in _PREFECTURES.values()},
    **{value[1]: value for value in _PREFECTURES.values()},
}


def timestamp(value: datetime | None) -> str | None:
    """'2026-10-31T13:05:22+09:00', as Shopify writes every time in the shop's zone."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(JST).isoformat(timespec="seconds")


def parse_timestamp(raw: str) -> datetime:
    """A filter such as updated_at_min; without an offset Shopify reads it in the shop's zone."""
    text = raw.strip().replace(" ", "+") if "T" in raw else raw.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=JST)
    return parsed.astimezone(UTC)


def money(amount: int) -> str:
    return str(int(amount))


@dataclass(frozen=True)
class Presentment:
    """The currency a buyer saw and paid in, and how many yen one unit of it is."""

    currency: str
    yen_per_unit: int

    def amount(self, yen: int) -> str:
        """`yen` in this currency, as Shopify writes it ("133.33")."""
        if self.currency == CURRENCY:
            return money(yen)
        return f"{yen / self.yen_per_unit:.2f}"


YEN: Final = Presentment(CURRENCY, 1)


def money_set(amount: int, presentment: Presentment = YEN) -> dict[str, Any]:
    """Shopify's `*_set` twin of an amount: in the shop's currency (JPY) and the buyer's."""
    return {
        "shop_money": {"amount": money(amount), "currency_code": CURRENCY},
        "presentment_money": {
            "amount": presentment.amount(amount),
            "currency_code": presentment.currency,
        },
    }


def synthetic_id(*parts: object) -> int:
    """A stable 13-digit id for objects the world has no Shopify id for (refunds, addresses)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return 1_000_000_000_000 + int.from_bytes(digest, "big") % 9_000_000_000_000


def gid(kind: str, id_: int | str) -> str:
    return f"gid://shopify/{kind}/{id_}"


def province(prefecture: str | None) -> tuple[str | None, str | None]:
    """(Shopify's province name, ISO code) for a prefecture written in kanji or romaji."""
    if not prefecture:
        return None, None
    hit = _PREFECTURES.get(prefecture) or _BY_SHORT_NAME.get(prefecture)
    return hit if hit is not None else (prefecture, None)


def address(
    *,
    first_name: str | None,
    last_name: str | None,
    address1: str | None,
    city: str | None,
    prefecture: str | None,
    zip_code: str | None,
    phone: str | None,
    company: str | None = None,
) -> dict[str, Any]:
    """A Shopify MailingAddress as it appears on orders and customers."""
    name, code = province(prefecture)
    full_name = " ".join(part for part in (first_name, last_name) if part) or None
    return {
        "first_name": first_name,
        "last_name": last_name,
        "name": full_name,
        "company": company,
        "address1": address1,
        "address2": None,
        "city": city,
        "province": name,
        "province_code": code,
        "zip": zip_code,
        "country": "Japan",
        "country_code": "JP",
        "phone": phone,
        "latitude": None,
        "longitude": None,
    }
