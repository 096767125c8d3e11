"""Who is using the app (chosen in the sidebar for the demo) and what their role lets them see.

Roles and permissions are the ops store's (`ichigen.ops.roles`): the same check decides what a
page shows and what the actions API accepts. Personal data (e-mail, phone, names, addresses) is
masked in the published snapshot; for a role that may see it, the pages' queries read the clear
values from the snapshot's restricted file (`ichigen.app.data.connection`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, NamedTuple

import polars as pl
import streamlit as st

from ichigen.ops.personal_data import (
    PERSONAL_COLUMNS,
    Kind,
    column_kind,
    mask_email,
    mask_phone,
    mask_text,
)
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

# What the page masks of a frame (identity keys and records are masked when published).
_MASKS: Final[dict[Kind, Callable[[str | None], str | None]]] = {
    Kind.EMAIL: mask_email,
    Kind.PHONE: mask_phone,
    Kind.TEXT: mask_text,
}


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


def mask_personal(frame: pl.DataFrame, user: User) -> pl.DataFrame:
    """`frame` with its personal columns masked, unless `user` may see personal data.

    The published snapshot holds personal data masked already (`ichigen.ops.personal_data`),
    and these masks leave a masked value as it is; this masks what a snapshot published before
    that, or a frame from anywhere else, still holds in the clear.
    """
    if user.may(Permission.SEE_PERSONAL_DATA):
        return frame
    masks = []
    for name in frame.columns:
        kind = column_kind(name)
        if kind is None or kind not in _MASKS:
            continue
        masks.append(
            pl.col(name)
            .cast(pl.String)
            .map_elements(_MASKS[kind], return_dtype=pl.String, skip_nulls=True)
            .alias(name)
        )
    return frame.with_columns(masks) if masks else frame
