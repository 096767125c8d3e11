"""Who is using the app (chosen in the sidebar for the demo) and what their role lets them see.

Roles and permissions are the ops store's (`ichigen.ops.roles`): the same check decides what a
page shows and what the actions API accepts. Personal data (e-mail, phone, names, addresses) is
masked unless the role may see it.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

import polars as pl
import streamlit as st

from ichigen.ops.roles import Permission, Role, can

__all__ = [
    "DEMO_USERS",
    "PERSONAL_COLUMNS",
    "User",
    "current_user",
    "mask_email",
    "mask_personal",
    "mask_phone",
    "sidebar_user",
]

# For the demo: a few people and the role each usually works in (any role can be chosen).
DEMO_USERS: Final = {
    "aiko": Role.BUYER,
    "kenji": Role.MARKETER,
    "yui": Role.VIEWER,
    "admin": Role.ADMIN,
}
ROLES: Final = tuple(r for r in Role if r is not Role.SYSTEM)  # system is for scheduled jobs

# Columns that identify a person. Anything else (order ids, SKUs, location names) is not.
PERSONAL_COLUMNS: Final = re.compile(
    r"(^|_)(e_?mail|phone|tel|telephone|address|address\d|street|postcode|postal_code|zip"
    r"|full_name|first_name|last_name|customer_name|name_kana|buyer_name|recipient)(_|$)"
)


class User(NamedTuple):
    name: str
    role: Role

    def may(self, permission: Permission) -> bool:
        return can(self.role, permission)


def current_user() -> User:
    """The user and role chosen in the sidebar (a viewer when nothing was chosen)."""
    name = str(st.session_state.get("user") or "yui")
    try:
        role = Role(str(st.session_state.get("role") or Role.VIEWER))
    except ValueError:
        role = Role.VIEWER
    return User(name, role)


def _follow_user() -> None:
    # picking a person selects their usual role; the role can still be changed afterwards
    st.session_state["role"] = DEMO_USERS.get(st.session_state.get("user", ""), Role.VIEWER).value


def sidebar_user() -> User:
    """The sidebar's user and role pickers (the router calls this once per run)."""
    with st.sidebar:
        st.selectbox("User", list(DEMO_USERS), index=2, key="user", on_change=_follow_user)
        st.selectbox(
            "Role",
            [r.value for r in ROLES],
            index=[r.value for r in ROLES].index(Role.VIEWER.value),
            key="role",
            help="Decides what you may do (push stock, approve purchase orders) and whether "
            "personal data is shown.",
        )
        user = current_user()
        st.caption(
            "Personal data: " + ("shown" if user.may(Permission.SEE_PERSONAL_DATA) else "masked")
        )
    return user


def mask_email(value: str | None) -> str | None:
    """taro.yamada@example.jp -> t***@e***.jp"""
    if not value:
        return value
    local, _, domain = value.partition("@")
    host, _, tld = domain.rpartition(".")
    masked_domain = f"{host[:1]}***.{tld}" if host else "***"
    return f"{local[:1]}***@{masked_domain}" if domain else "***"


def mask_phone(value: str | None) -> str | None:
    """090-1234-5678 -> ***-****-5678: the last four digits, enough to tell two apart."""
    if not value:
        return value
    digits = re.sub(r"\D", "", value)
    return f"***-****-{digits[-4:]}" if len(digits) >= 4 else "***"


def _mask_other(value: str | None) -> str | None:
    return value if not value else f"{value[:1]}***"


def mask_personal(frame: pl.DataFrame, user: User) -> pl.DataFrame:
    """`frame` with its personal columns masked, unless `user` may see personal data."""
    if user.may(Permission.SEE_PERSONAL_DATA):
        return frame
    masks = []
    for name, dtype in frame.schema.items():
        if not PERSONAL_COLUMNS.search(name.lower()):
            continue
        if "mail" in name.lower():
            fn = mask_email
        elif "phone" in name.lower() or "tel" in name.lower():
            fn = mask_phone
        else:
            fn = _mask_other
        masks.append(
            pl.col(name)
            .cast(pl.String)
            .map_elements(fn, return_dtype=pl.String, skip_nulls=True)
            .alias(name)
        )
        del dtype
    return frame.with_columns(masks) if masks else frame
