"""Publishing: the snapshot holds personal data masked, its restricted file holds the clear
values (0600, named by the build both carry), and the two are replaced together."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import duckdb
import pytest

from ichigen.orchestration.serving import publish_snapshot
from ichigen.paths import DataPaths

CLEAR = {
    "names": ["佐藤 花子", "Hanako Sato", "サトウ ハナコ"],
    "emails": ["hanako.sato@example.com", "vf1u6zq3x03lxd8a@marketplace.amazon.co.jp"],
    "phones": ["+819011112222"],
}


def _warehouse(path: Path, *, channel_column: str = "channel") -> None:
    """A warehouse whose marts hold a customer known on Shopify and on Amazon (by the relay
    address Amazon gives), her orders, a catalogue, and a keyless mart with a name in it."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            """
            create or replace table marts.dim_customers as
            select * from (values
                ('cus_1', '佐藤 花子', 'サトウ ハナコ', 'hanako.sato@example.com',
                 '+819011112222', 1200),
                ('cus_2', null, null, null, null, 0)
            ) as t(customer_id, customer_name, customer_name_kana, email, phone_e164,
                   revenue_jpy)
            """
        )
        con.execute(
            """
            create or replace table marts.map_customer_identities as
            select * from (values
                ('shopify:71', 'cus_1', 'shopify', '71', 'email_exact',
                 'amazon:vf1u6zq3x03lxd8a@marketplace.amazon.co.jp'),
                ('amazon:vf1u6zq3x03lxd8a@marketplace.amazon.co.jp', 'cus_1', 'amazon',
                 'vf1u6zq3x03lxd8a@marketplace.amazon.co.jp', 'email_exact', 'shopify:71'),
                ('pos:0000010482', 'cus_2', 'pos', '0000010482', 'singleton', null)
            ) as t(identity_key, customer_id, channel, channel_customer_id, rule,
                   linked_identity_key)
            """
        )
        con.execute(
            f"""
            create or replace table marts.fct_orders as
            select * from (values
                ('shopify:1', 'shopify', 'shopify:71', 700, date '2025-01-02', 'delivered'),
                ('amazon:2', 'amazon', 'amazon:vf1u6zq3x03lxd8a@marketplace.amazon.co.jp',
                 500, date '2025-02-03', 'delivered'),
                ('pos:3', 'pos', null, 300, date '2025-02-04', 'delivered')
            ) as t(order_key, {channel_column}, identity_key, net_jpy, business_date,
                   order_status)
            """
        )
        con.execute(
            "create or replace table marts.dim_products as "
            "select 'P0005-WHT-25' as sku, '藍染め キャンバススニーカー' as title"
        )
        con.execute(
            "create or replace table marts.fct_notes as select 'Hanako Sato' as customer_name"
        )
        member = {
            "会員番号": "0000010482",
            "姓": "佐藤",
            "名": "花子",
            "電話番号": "+819011112222",
            "メールアドレス": "hanako.sato@example.com",
        }
        con.execute(
            "create or replace table marts.fct_quarantined_records as "
            "select 'pos:members:1' as quarantined_record_key, 'phone' as reasons, ? as raw",
            [json.dumps(member, ensure_ascii=False)],
        )


def _varchar_values(path: Path) -> list[str]:
    """Every value of every text column of every table in the file, read with plain DuckDB."""
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where data_type = 'VARCHAR' and database_name = current_database()"
        ).fetchall()
        values: list[str] = []
        for schema, table, column in columns:
            values += [
                v
                for (v,) in con.execute(
                    f'select distinct "{column}" from "{schema}"."{table}" '
                    f'where "{column}" is not null'
                ).fetchall()
            ]
    return values


def _clear_values_in(values: list[str]) -> list[str]:
    everything = [*CLEAR["names"], *CLEAR["emails"], *CLEAR["phones"]]
    return [v for v in values if any(clear in v for clear in everything)]


def _build_of(path: Path) -> tuple[str, str]:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute("select build_id, restricted from serving.build").fetchone()
    assert row is not None
    return str(row[0]), str(row[1])


def test_the_snapshot_masks_personal_data_and_its_restricted_file_keeps_it_clear(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "w.duckdb"
    _warehouse(warehouse)
    paths = DataPaths(tmp_path / "data")
    publish_snapshot(warehouse, paths.snapshot)

    assert _clear_values_in(_varchar_values(paths.snapshot)) == []
    with duckdb.connect(str(paths.snapshot), read_only=True) as con:
        raw = con.execute("select raw from fct_quarantined_records").fetchone()
    assert raw is not None and json.loads(raw[0])["会員番号"] == "0000010482"
    with duckdb.connect(str(paths.snapshot), read_only=True) as con:
        masked = con.execute("select customer_name, email, phone_e164 from dim_customers")
        assert masked.fetchall()[0] == ("佐***", "h***@e***.com", "***-****-2222")
        assert con.execute("select * from dim_products").fetchall() == [
            ("P0005-WHT-25", "藍染め キャンバススニーカー")
        ]
        keys = dict(
            con.execute("select order_key, identity_key from fct_orders order by 1").fetchall()
        )
        amazon = con.execute(
            "select identity_key from map_customer_identities where channel = 'amazon'"
        ).fetchone()
    # the token joins the orders to their customer as the address did
    assert amazon is not None and keys["amazon:2"] == amazon[0]
    assert amazon[0].startswith("amazon:v***@m***.jp#")
    assert keys["shopify:1"] == "shopify:71" and keys["pos:3"] is None

    build_id, relative = _build_of(paths.snapshot)
    restricted = paths.snapshot.parent / relative
    assert restricted.parent == paths.restricted_dir
    assert stat.S_IMODE(restricted.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.restricted_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((paths.restricted_dir / "token.key").stat().st_mode) == 0o600
    assert set(_clear_values_in(_varchar_values(restricted))) >= {
        "佐藤 花子",
        "hanako.sato@example.com",
        "+819011112222",
        "amazon:vf1u6zq3x03lxd8a@marketplace.amazon.co.jp",
    }
    with duckdb.connect(":memory:") as con:
        con.execute(f"attach '{paths.snapshot}' as s (read_only)")
        con.execute(f"attach '{restricted}' as r (read_only)")
        con.execute(f"attach '{warehouse}' as w (read_only)")
        assert con.execute("select build_id from r.serving.build").fetchall() == [(build_id,)]
        keyed = dict(con.execute("select * from r.serving.keys").fetchall())
        # the keyless mart is published masked, with nothing to put its name back by
        assert keyed == {
            "dim_customers": "customer_id",
            "map_customer_identities": "identity_key",
            "fct_orders": "order_key",
            "fct_quarantined_records": "quarantined_record_key",
        }
        for table, key in keyed.items():
            clear = [
                c
                for (c,) in con.execute(
                    "select column_name from duckdb_columns() where database_name = 'r' "
                    "and table_name = ? and column_name <> '_key'",
                    [table],
                ).fetchall()
            ]
            put_back = ", ".join(f"coalesce(r.{c}, s.{c}) as {c}" for c in clear)
            restored = con.execute(
                f"select s.* replace ({put_back}) from s.{table} as s "
                f"left join r.{table} as r on s.{key} = r._key order by all"
            ).fetchall()
            assert restored == con.execute(f"select * from w.marts.{table} order by all").fetchall()


def test_the_restricted_file_of_the_previous_snapshot_stays_for_its_readers_and_older_ones_go(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "w.duckdb"
    _warehouse(warehouse)
    paths = DataPaths(tmp_path / "data")
    builds, tokens = [], set()
    for _ in range(3):
        publish_snapshot(warehouse, paths.snapshot)
        builds.append(_build_of(paths.snapshot)[0])
        with duckdb.connect(str(paths.snapshot), read_only=True) as con:
            tokens |= set(
                con.execute(
                    "select identity_key from fct_orders where order_key = 'amazon:2'"
                ).fetchall()
            )
        kept = sorted(p.stem for p in paths.restricted_dir.glob("*.duckdb"))
        assert kept == sorted(builds[-2:])
    assert len(set(builds)) == 3
    assert len(tokens) == 1, "one key for every build: a buyer's token stays the same"


def test_a_failed_publish_leaves_the_snapshot_and_its_restricted_file_as_they_were(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "w.duckdb"
    _warehouse(warehouse)
    paths = DataPaths(tmp_path / "data")
    publish_snapshot(warehouse, paths.snapshot)
    before = _build_of(paths.snapshot)
    files = sorted(p.name for p in paths.restricted_dir.iterdir())
    # orders without a channel: the customer views kept in the snapshot cannot be computed,
    # after the masked tables and the clear values have been written
    _warehouse(warehouse, channel_column="sales_channel")
    with pytest.raises(duckdb.BinderException):
        publish_snapshot(warehouse, paths.snapshot)
    assert _build_of(paths.snapshot) == before
    assert sorted(p.name for p in paths.restricted_dir.iterdir()) == files
    assert sorted(p.name for p in paths.serving_dir.iterdir()) == ["current.duckdb", "restricted"]
