"""Personal data masks: the SQL twins that publishing runs equal the Python masks the app runs,
identifiers become keyed tokens, and records as received lose their personal fields."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from ichigen.ops.personal_data import (
    Kind,
    column_kind,
    mask_email,
    mask_phone,
    mask_text,
    masked_sql,
    masking_macros,
    may_change_sql,
    redact_record,
)

KEY = b"k" * 32

EMAILS = [
    "taro.yamada@example.jp",
    "minato_tanaka596@gmail.com",
    "vf1u6zq3x03lxd8a@marketplace.amazon.co.jp",
    "山田@例え.日本",
    "no-at-sign",
    "ends-with-at@",
    "@starts.with.at",
    "two@at@signs.com",
    "nodot@localhost",
    "dot@.jp",
    "é\u0301@x.fr",
    "t***@e***.jp",
    "*star@*host.jp",
    "a",
    "",
    None,
]
PHONES = [
    "+819012345678",
    "090-1234-5678",
    "０９０－１２３４－５６７８",
    "(03) 1234 5678",
    "123",
    "12",
    "***-****-5678",
    "no digits",
    "",
    None,
]
TEXTS = ["山田 花子", "ヤマダ ハナコ", "Hanako", "神南3-9-2", "1500041", "山***", "x", "", None]


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(":memory:") as connection:
        for macro in masking_macros(KEY):
            connection.execute(macro)
        yield connection


def _sql(con: duckdb.DuckDBPyConnection, macro: str, value: str | None) -> Any:
    row = con.execute(f"select {macro}($v::varchar)", {"v": value}).fetchone()
    assert row is not None
    return row[0]


@pytest.mark.parametrize(
    ("macro", "mask", "values"),
    [
        ("pii_email", mask_email, EMAILS),
        ("pii_phone", mask_phone, PHONES),
        ("pii_text", mask_text, TEXTS),
    ],
)
def test_the_sql_twins_mask_every_value_as_the_python_masks_do(
    con: duckdb.DuckDBPyConnection, macro: str, mask: Any, values: list[str | None]
) -> None:
    for value in values:
        assert _sql(con, macro, value) == mask(value), value


def test_a_masked_value_masked_again_stays_as_it_is() -> None:
    for mask, values in ((mask_email, EMAILS), (mask_phone, PHONES), (mask_text, TEXTS)):
        for value in values:
            once = mask(value)
            assert mask(once) == once, value


def test_the_masks_keep_only_what_tells_two_apart() -> None:
    assert mask_email("taro.yamada@example.jp") == "t***@e***.jp"
    assert mask_phone("+819012345678") == "***-****-5678"
    assert mask_phone("０９０－１２３４－５６７８") == "***-****-5678"
    assert mask_text("山田 花子") == "山***"


def test_an_identifier_that_is_an_email_becomes_a_token_keyed_by_the_secret(
    con: duckdb.DuckDBPyConnection,
) -> None:
    address = "vf1u6zq3x03lxd8a@marketplace.amazon.co.jp"
    token = hmac.new(KEY, address.encode(), hashlib.sha256).hexdigest()[:16]
    assert _sql(con, "pii_identifier", f"amazon:{address}") == f"amazon:v***@m***.jp#{token}"
    assert _sql(con, "pii_identifier", address) == f"v***@m***.jp#{token}"
    # ids that are not e-mail addresses say nothing about the person: kept
    for kept in ("shopify:7100049424888", "pos:0000010482", "7100049424888", None):
        assert _sql(con, "pii_identifier", kept) == kept
    with duckdb.connect(":memory:") as other:
        for macro in masking_macros(b"another key"):
            other.execute(macro)
        assert _sql(other, "pii_identifier", address) != _sql(con, "pii_identifier", address)


def test_a_column_s_kind_comes_from_its_name() -> None:
    assert column_kind("email") is Kind.EMAIL
    assert column_kind("phone_e164") is Kind.PHONE
    assert column_kind("customer_name") is Kind.TEXT
    assert column_kind("customer_name_kana") is Kind.TEXT
    assert column_kind("identity_key") is Kind.IDENTIFIER
    assert column_kind("linked_identity_key") is Kind.IDENTIFIER
    assert column_kind("channel_customer_id") is Kind.IDENTIFIER
    assert column_kind("raw") is Kind.RECORD
    for plain in ("customer_id", "order_name", "location_name", "supplier_name", "prefecture"):
        assert column_kind(plain) is None, plain


# Records as the channels document them, with the person's details in the fields each names.
PERSON = {
    "email": "hanako.sato@example.com",
    "phone": "+819011112222",
    "family": "佐藤",
    "given": "花子",
    "street": "神南3-9-2",
}
SHOPIFY_ORDER = {
    "id": 5600367324204,
    "name": "#1001",
    "email": PERSON["email"],
    "contact_email": PERSON["email"],
    "phone": PERSON["phone"],
    "customer": {
        "id": 7100049424888,
        "email": PERSON["email"],
        "first_name": PERSON["given"],
        "last_name": PERSON["family"],
        "default_address": {"address1": PERSON["street"], "zip": "150-0041"},
    },
    "shipping_address": {
        "name": f"{PERSON['family']} {PERSON['given']}",
        "address1": PERSON["street"],
        "phone": PERSON["phone"],
        "zip": "150-0041",
    },
    "line_items": [{"sku": "P0005-WHT-25", "name": "藍染め キャンバススニーカー", "quantity": 1}],
    "note": f"please call {PERSON['email']}",
}
AMAZON_ORDER = {
    "AmazonOrderId": "503-1234567-1234567",
    "BuyerInfo": {"BuyerEmail": PERSON["email"], "BuyerName": PERSON["family"]},
    "ShippingAddress": {
        "Name": f"{PERSON['family']} {PERSON['given']}",
        "AddressLine1": PERSON["street"],
        "PostalCode": "150-0041",
        "Phone": PERSON["phone"],
    },
    "OrderTotal": {"CurrencyCode": "JPY", "Amount": "5000"},
}
RAKUTEN_ORDER = {
    "orderNumber": "378776-20251108-0000000152",
    "OrdererModel": {
        "emailAddress": PERSON["email"],
        "familyName": PERSON["family"],
        "firstName": PERSON["given"],
        "familyNameKana": "サトウ",
        "phoneNumber1": "090",
        "phoneNumber2": "1111",
        "phoneNumber3": "2222",
        "subAddress": PERSON["street"],
        "birthYear": 1990,
    },
    "PackageModelList": [{"SenderModel": {"familyName": PERSON["family"], "zipCode1": "150"}}],
}
POS_MEMBER = {
    "_row": 3,
    "_malformed": None,
    "会員番号": "0000010482",
    "姓": PERSON["family"],
    "名": PERSON["given"],
    "セイ": "サトウ",
    "電話番号": "090-1111-2222",
    "メールアドレス": PERSON["email"],
    "住所": PERSON["street"],
    "入会日": "2024/01/05",
}
MALFORMED_ROW = {
    "_row": 9,
    "_malformed": "3 fields where the header has 13",
    "_fields": [PERSON["family"], PERSON["given"], "090-1111-2222"],
}


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif value is not None:
        yield str(value)


@pytest.mark.parametrize(
    "record", [SHOPIFY_ORDER, AMAZON_ORDER, RAKUTEN_ORDER, POS_MEMBER, MALFORMED_ROW]
)
def test_a_record_as_received_keeps_no_personal_value(record: dict[str, Any]) -> None:
    redacted = redact_record(json.dumps(record, ensure_ascii=False))
    assert redacted is not None
    for leaf in _leaves(json.loads(redacted)):
        for secret in (*PERSON.values(), "2222", "1111"):
            assert secret not in leaf or leaf.endswith(f"-{secret}"), (secret, leaf)
    assert "hanako" not in redacted


def test_a_record_keeps_what_operations_need_to_find_and_fix_it() -> None:
    shopify = json.loads(redact_record(json.dumps(SHOPIFY_ORDER)) or "")
    assert shopify["id"] == 5600367324204 and shopify["name"] == "#1001"
    assert shopify["customer"]["id"] == 7100049424888
    assert shopify["line_items"] == SHOPIFY_ORDER["line_items"]
    assert shopify["note"] == "please call h***@e***.com"
    amazon = json.loads(redact_record(json.dumps(AMAZON_ORDER)) or "")
    assert amazon["AmazonOrderId"] == AMAZON_ORDER["AmazonOrderId"]
    assert amazon["OrderTotal"] == AMAZON_ORDER["OrderTotal"]
    member = json.loads(redact_record(json.dumps(POS_MEMBER, ensure_ascii=False)) or "")
    assert member["会員番号"] == "0000010482" and member["入会日"] == "2024/01/05"
    assert member["電話番号"] == "***-****-2222"


def test_a_record_without_personal_data_is_returned_as_it_came() -> None:
    text = '{"sku": "P0005-WHT-25",  "quantity": -1}'
    assert redact_record(text) == text
    assert redact_record(None) is None
    assert redact_record("not json, mail a.b@example.com") == "not json, mail a***@e***.com"


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        (Kind.EMAIL, EMAILS),
        (Kind.PHONE, PHONES),
        (Kind.TEXT, TEXTS),
        (Kind.IDENTIFIER, ["amazon:a@b.jp", "shopify:1", "", None]),
        (Kind.RECORD, [json.dumps(POS_MEMBER), '{"sku": "P1"}', None]),
    ],
)
def test_the_cheap_test_for_what_a_mask_changes_misses_nothing_it_changes(
    con: duckdb.DuckDBPyConnection, kind: Kind, values: list[str | None]
) -> None:
    # publishing keeps in the restricted file only the rows this test picks
    con.create_function("pii_record", redact_record, ["VARCHAR"], "VARCHAR")
    for value in values:
        row = con.execute(
            f"select {masked_sql(kind, '$v::varchar')} is distinct from $v::varchar, "
            f"coalesce({may_change_sql(kind, '$v::varchar')}, false)",
            {"v": value},
        ).fetchone()
        assert row is not None
        changed, picked = row
        assert picked or not changed, value
