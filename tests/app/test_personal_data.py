"""The Customers page shows each role what it showed when the snapshot held personal data in
the clear: a marketer or an admin the clear values (read from the restricted file), a viewer or
a buyer their masks; and only a role that may see them makes the app open the restricted file."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from ichigen.app.data import connection
from ichigen.app.roles import User, mask_personal
from ichigen.ops.roles import Role
from tests.app.conftest import RunPage
from tests.conftest import BuiltWarehouse

pytestmark = pytest.mark.slow

PERSONAL = ["customer_name", "customer_name_kana", "email", "phone_e164"]
IDENTIFIERS = ["identity_key", "channel_customer_id", "linked_identity_key"]


def _table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page with `column` (tables carry no key in AppTest)."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            shown: pd.DataFrame = frame.value
            return shown
    raise AssertionError(f"no table with a {column!r} column")


def _last_table_with(at: AppTest, column: str) -> pd.DataFrame:
    shown: list[pd.DataFrame] = [f.value for f in at.dataframe if column in f.value.columns]
    assert shown, f"no table with a {column!r} column"
    return shown[-1]


def _strings(frame: pd.DataFrame, column: str) -> list[str]:
    return [str(v) for v in frame[column] if pd.notna(v)]


def _warehouse(built: BuiltWarehouse, sql: str, params: list[Any]) -> pl.DataFrame:
    with duckdb.connect(":memory:") as con:
        con.execute(f"attach '{built.path}' as w (read_only)")
        con.execute("use w.marts")
        frame = pl.from_arrow(con.sql(sql, params=params).to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


@pytest.fixture(scope="module")
def amazon_customer(built_warehouse: BuiltWarehouse) -> str:
    """A customer with an Amazon identity (Amazon knows its buyers by an e-mail address)."""
    frame = _warehouse(
        built_warehouse,
        "select customer_id from map_customer_identities where channel = 'amazon' "
        "and contains(identity_key, '@') order by customer_id limit 1",
        [],
    )
    assert frame.height == 1, "the test world has Amazon buyers"
    return str(frame["customer_id"][0])


def _page(run_page: RunPage, data_dir: Path, role: str, customer: str) -> AppTest:
    """The Customers page as `role`, showing `customer` on its One customer tab."""
    at = run_page("customers", data_dir, role=role)
    at.text_input(key="customers_customer_id").input(customer).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _as_built(built: BuiltWarehouse, table: str, key: str, keys: list[str]) -> pl.DataFrame:
    return _warehouse(built, f"select * from {table} where list_contains(?, {key})", [keys])


def _same(shown: pd.DataFrame, built: pl.DataFrame, key: str, columns: list[str]) -> None:
    """The page's `columns` equal `built`'s, row for row by `key`."""
    columns = [c for c in columns if c != key]
    left = sorted(
        tuple(None if pd.isna(v) else str(v) for v in row)
        for row in shown[[key, *columns]].itertuples(index=False)
    )
    right = sorted(built.select(key, *columns).cast(pl.String).rows())
    assert left == right


@pytest.mark.parametrize("role", ["marketer", "admin"])
def test_a_role_that_may_see_personal_data_sees_it_as_the_warehouse_holds_it(
    role: str,
    app_data_dir: Path,
    run_page: RunPage,
    built_warehouse: BuiltWarehouse,
    amazon_customer: str,
) -> None:
    at = _page(run_page, app_data_dir, role, amazon_customer)
    assert not at.warning, [w.value for w in at.warning]
    segment = _table_with(at, "email")
    assert _strings(segment, "email")
    built = _as_built(
        built_warehouse, "dim_customers", "customer_id", _strings(segment, "customer_id")
    )
    _same(segment, built, "customer_id", PERSONAL)
    identities = _table_with(at, "rule")
    assert any("@" in v for v in _strings(identities, "identity_key"))
    built = _as_built(
        built_warehouse,
        "map_customer_identities",
        "identity_key",
        _strings(identities, "identity_key"),
    )
    assert built.height == len(identities)
    _same(identities, built, "identity_key", IDENTIFIERS)
    profile = _last_table_with(at, "email")  # the customer's row of dim_customers
    _same(
        profile,
        _as_built(built_warehouse, "dim_customers", "customer_id", [amazon_customer]),
        "customer_id",
        PERSONAL,
    )


@pytest.mark.parametrize("role", ["viewer", "buyer"])
def test_a_role_that_may_not_sees_the_masks_it_always_saw_and_no_buyer_address(
    role: str,
    app_data_dir: Path,
    run_page: RunPage,
    built_warehouse: BuiltWarehouse,
    amazon_customer: str,
) -> None:
    at = _page(run_page, app_data_dir, role, amazon_customer)
    segment = _table_with(at, "email")
    built = _as_built(
        built_warehouse, "dim_customers", "customer_id", _strings(segment, "customer_id")
    )
    # what the page showed when it masked the clear values itself
    _same(segment, mask_personal(built, User("someone", Role(role))), "customer_id", PERSONAL)
    identities = _table_with(at, "rule")
    clear = _warehouse(
        built_warehouse,
        "select identity_key, channel_customer_id, linked_identity_key "
        "from map_customer_identities where customer_id = ?",
        [amazon_customer],
    )
    addresses = {v for c in IDENTIFIERS for v in clear[c].drop_nulls() if "@" in v}
    assert addresses, "the customer's Amazon identity is an e-mail address"
    shown = {v for c in IDENTIFIERS for v in _strings(identities, c)}
    assert not shown & addresses
    assert not any(address.split("@")[0] in v for v in shown for address in addresses)
    assert len(identities) == clear.height


def test_only_a_role_that_may_see_personal_data_makes_the_app_open_the_restricted_file(
    app_data_dir: Path,
    run_page: RunPage,
    amazon_customer: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[object] = []
    original: Callable[..., Any] = connection._clear_connection

    def spy(snap: connection.Snapshot) -> Any:
        opened.append(snap)
        return original(snap)

    monkeypatch.setattr(connection, "_clear_connection", spy)
    for role in ("viewer", "buyer"):
        _page(run_page, app_data_dir, role, amazon_customer)
    assert opened == []
    _page(run_page, app_data_dir, "marketer", amazon_customer)
    assert opened


def _restricted(data_dir: Path) -> Path:
    snapshot = data_dir / "serving" / "current.duckdb"
    with duckdb.connect(str(snapshot), read_only=True) as con:
        row = con.execute("select restricted from serving.build").fetchone()
    assert row is not None
    return snapshot.parent / str(row[0])


@pytest.mark.parametrize("fault", ["missing", "another build"])
def test_without_its_own_restricted_file_a_marketer_sees_masks_and_is_told_why(
    fault: str, app_data_dir: Path, run_page: RunPage, amazon_customer: str
) -> None:
    restricted = _restricted(app_data_dir)
    if fault == "missing":
        restricted.unlink()
    else:
        # a restricted file as publishing writes it, but of another build
        other = restricted.with_name("other.duckdb")
        shutil.copy(restricted, other)
        with duckdb.connect(str(other)) as con:
            con.execute("update serving.build set build_id = 'another'")
        other.replace(restricted)
    at = _page(run_page, app_data_dir, "marketer", amazon_customer)
    assert any("restricted file" in w.value for w in at.warning), [w.value for w in at.warning]
    emails = _strings(_table_with(at, "email"), "email")
    assert emails and all("***" in e for e in emails)
    keys = _strings(_table_with(at, "rule"), "identity_key")
    assert not any(re.search(r"@[^*]+\.[a-z]+$", k) for k in keys), keys
