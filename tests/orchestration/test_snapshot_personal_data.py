"""The snapshot published from the test world: read with plain DuckDB, it holds no e-mail
address, phone number, name or street address of the sandbox's people; its restricted file
puts back every mart as the warehouse built it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from ichigen.customer_views import KEPT_VIEWS
from ichigen.ops.personal_data import column_kind
from ichigen.orchestration.serving import publish_snapshot
from ichigen.paths import DataPaths
from tests.conftest import BuiltWarehouse

pytestmark = pytest.mark.slow

_EMAIL = re.compile(r"[^\s@\"'<>(),;:]+@[^\s@\"'<>(),;:]+\.[A-Za-z.]+")
_PHONE = re.compile(r"\+?\d[\d\-\s()]{7,}\d")


@dataclass(frozen=True)
class People:
    """What the sandbox says about its people: as they are (truth) and as each channel knows
    them (world)."""

    emails: frozenset[str]
    phones: frozenset[str]  # digits, national form (0...)
    texts: frozenset[str]  # names in every writing, street addresses

    @classmethod
    def of(cls, sandbox_dir: Path) -> People:
        persons = pl.read_parquet(sandbox_dir / "truth" / "persons.parquet")
        identities = pl.read_parquet(sandbox_dir / "world" / "identities.parquet")
        emails = {e.lower() for e in [*persons["email"], *identities["email"]] if e and "@" in e}
        phones = {_national(p) for p in [*persons["phone_e164"], *identities["phone"]] if p}
        texts: set[str] = {a for a in identities["address1"] if a}
        for frame, pairs in (
            (
                persons,
                [
                    ("family_name", "given_name"),
                    ("family_name_kana", "given_name_kana"),
                    ("family_name_romaji", "given_name_romaji"),
                    ("given_name_romaji", "family_name_romaji"),
                ],
            ),
            (
                identities,
                [("family_name", "given_name"), ("family_name_kana", "given_name_kana")],
            ),
        ):
            for first, second in pairs:
                for a, b in zip(frame[first], frame[second], strict=True):
                    if a and b:
                        texts |= {f"{a} {b}", f"{a}{b}", f"{a}　{b}"}
        return cls(
            frozenset(emails), frozenset(p for p in phones if len(p) >= 10), frozenset(texts)
        )

    def found_in(self, value: str) -> Iterator[str]:
        """The pieces of `value` that are one of these people's e-mail, phone, name or
        address (a record as received is looked into, field by field)."""
        if value in self.texts:
            yield value
        for email in _EMAIL.findall(value):
            if email.lower() in self.emails:
                yield email
        for phone in _PHONE.findall(value):
            if _national(phone) in self.phones:
                yield phone
        if value[:1] in "{[":
            try:
                record = json.loads(value)
            except ValueError:
                return
            for leaf in _leaves(record):
                if leaf in self.texts:
                    yield leaf


def _national(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return "0" + digits[2:] if phone.strip().startswith("+81") else digits


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, str):
        yield value


def _text_values(path: Path) -> Iterator[tuple[str, str]]:
    """(table.column, value) for every distinct value of every column of every table of the
    file that holds text (lists and structs of text as their text)."""
    with duckdb.connect(":memory:") as con:
        con.execute(f"attach '{path}' as f (read_only)")
        columns = con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where database_name = 'f' and data_type like '%VARCHAR%'"
        ).fetchall()
        for schema, table, column in columns:
            rows = con.execute(
                f'select distinct cast("{column}" as varchar) from f."{schema}"."{table}" '
                f'where "{column}" is not null'
            ).fetchall()
            for (value,) in rows:
                yield f"{table}.{column}", value


def _personal_values(path: Path, people: People) -> list[tuple[str, str]]:
    return [(where, hit) for where, value in _text_values(path) for hit in people.found_in(value)]


@pytest.fixture(scope="module")
def published(built_warehouse: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The snapshot `oms build` published (or, if the test build failed, one published from
    what it built)."""
    if built_warehouse.build.success:
        return built_warehouse.settings.paths.snapshot
    snapshot = DataPaths(tmp_path_factory.mktemp("published")).snapshot
    return publish_snapshot(built_warehouse.path, snapshot)


def _restricted(snapshot: Path) -> Path:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        row = con.execute("select restricted from serving.build").fetchone()
    assert row is not None
    return snapshot.parent / str(row[0])


def test_the_published_snapshot_holds_no_email_phone_name_or_address_of_the_sandbox_s_people(
    published: Path, built_warehouse: BuiltWarehouse
) -> None:
    people = People.of(built_warehouse.sandbox_dir)
    assert _personal_values(published, people) == []
    # the same search finds them in the clear values, so it is a search that can fail
    found = _personal_values(_restricted(published), people)
    where = {w for w, _ in found}
    assert {"dim_customers.email", "dim_customers.phone_e164", "dim_customers.customer_name"} <= (
        where
    ), where
    assert "map_customer_identities.identity_key" in where, where


def test_the_restricted_file_puts_back_every_mart_as_the_warehouse_built_it(
    published: Path, built_warehouse: BuiltWarehouse
) -> None:
    with duckdb.connect(":memory:") as con:
        con.execute(f"attach '{published}' as s (read_only)")
        con.execute(f"attach '{_restricted(published)}' as r (read_only)")
        con.execute(f"attach '{built_warehouse.path}' as w (read_only)")
        keyed = dict(con.execute("select * from r.serving.keys").fetchall())
        assert {"dim_customers", "map_customer_identities", "fct_orders"} <= set(keyed)
        for table, key in keyed.items():
            clear = [
                c
                for (c,) in con.execute(
                    "select column_name from duckdb_columns() where database_name = 'r' "
                    "and schema_name = 'main' and table_name = ? and column_name <> '_key'",
                    [table],
                ).fetchall()
            ]
            put_back = ", ".join(
                f'case when r._key is null then s."{c}" else r."{c}" end as "{c}"' for c in clear
            )
            restored = (
                f"select s.* replace ({put_back}) from s.main.{table} as s "
                f"left join r.main.{table} as r on s.{key} = r._key"
            )
            built = f"select * from w.marts.{table}"
            for one, other in ((restored, built), (built, restored)):
                differing = con.execute(
                    f"select count(*) from ({one} except all {other})"
                ).fetchone()
                assert differing == (0,), (table, one)


def test_every_mart_with_personal_data_keeps_its_clear_values_by_a_key(
    published: Path, built_warehouse: BuiltWarehouse
) -> None:
    with duckdb.connect(":memory:") as con:
        con.execute(f"attach '{_restricted(published)}' as r (read_only)")
        con.execute(f"attach '{built_warehouse.path}' as w (read_only)")
        keyed = {t for (t,) in con.execute("select table_name from r.serving.keys").fetchall()}
        columns = con.execute(
            "select table_name, column_name from duckdb_columns() where database_name = 'w' "
            "and schema_name = 'marts' and data_type = 'VARCHAR'"
        ).fetchall()
    personal = {table for table, column in columns if column_kind(column) is not None}
    # a mart outside serving.RESTRICTED_KEYS would be published masked, its clear values lost
    assert personal <= keyed, personal - keyed


def test_the_customer_views_kept_from_masked_marts_equal_those_of_the_clear_marts(
    published: Path, built_warehouse: BuiltWarehouse
) -> None:
    with duckdb.connect(":memory:") as con:
        con.execute(f"attach '{published}' as s (read_only)")
        con.execute(f"attach '{built_warehouse.path}' as w (read_only)")
        for name, sql in KEPT_VIEWS.items():
            con.execute("use w.marts")
            clear = con.execute(f"select * from ({sql}) order by all", {"channels": []})
            expected = clear.fetchall()
            kept = con.execute(
                f"select * exclude (selection) from s.main.{name} where selection = '' order by all"
            ).fetchall()
            assert kept == expected and kept, name
