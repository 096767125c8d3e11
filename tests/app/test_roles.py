"""Personal data is masked unless the role may see it."""

from __future__ import annotations

import polars as pl

from ichigen.app.roles import User, mask_email, mask_personal, mask_phone
from ichigen.ops.roles import Role


def test_an_email_keeps_only_its_first_letters_and_top_level_domain() -> None:
    assert mask_email("taro.yamada@example.jp") == "t***@e***.jp"
    assert mask_email(None) is None


def test_a_phone_number_keeps_its_last_four_digits() -> None:
    assert mask_phone("090-1234-5678") == "***-****-5678"
    assert mask_phone("12") == "***"


def test_personal_columns_are_masked_for_a_viewer_and_a_buyer_but_not_a_marketer() -> None:
    frame = pl.DataFrame(
        {
            "customer_id": ["cus_1"],
            "email": ["hanako@example.com"],
            "phone": ["03-1234-5678"],
            "full_name": ["山田 花子"],
            "order_name": ["#1001"],
        }
    )
    for role in (Role.VIEWER, Role.BUYER):
        masked = mask_personal(frame, User("someone", role)).row(0, named=True)
        assert masked["email"] == "h***@e***.com"
        assert masked["phone"] == "***-****-5678"
        assert masked["full_name"] == "山***"
        assert masked["customer_id"] == "cus_1" and masked["order_name"] == "#1001"
    assert mask_personal(frame, User("kenji", Role.MARKETER)).equals(frame)
    assert mask_personal(frame, User("root", Role.ADMIN)).equals(frame)
