"""Data health: the last load per channel and entity, freshness, quarantined records with their
reasons, and the loads' check results."""

from __future__ import annotations

from datetime import UTC, datetime

import altair as alt
import polars as pl
import streamlit as st

from ichigen.app import ui
from ichigen.app.data import connection, data_health
from ichigen.app.snapshot import data_dir

st.title("Data health")
snap = connection.snapshot()
loads = data_health.loads(snap)

c1, c2, c3, c4 = st.columns(4)
if snap is None:
    c1.metric("Snapshot", "none yet")
else:
    age_h = (datetime.now(UTC).timestamp() - snap.mtime_ns / 1e9) / 3600
    c1.metric("Snapshot age", f"{age_h:.1f} h", help=snap.path)
c2.metric("Loads", f"{loads.height:,}")
c3.metric("Records quarantined", f"{int(loads['quarantined'].sum() or 0):,}")
c4.metric("Failed checks", f"{int(loads['checks_failed'].sum() or 0):,}")

if loads.is_empty():
    if snap is None:
        st.info(ui.NO_DATA, icon=":material/hourglass_empty:")
    else:
        st.info(
            f"No loads have landed under {data_dir()} by the last build — run `oms ingest`, "
            "then `oms build` (or `oms demo`)."
        )
    st.stop()

channels = ui.multiselect_filter(
    "Channels", sorted(set(loads["channel"].to_list())), key="health_channels"
)
if channels:
    loads = loads.filter(pl.col("channel").is_in(channels))

st.subheader("Last load per channel and entity")
now = datetime.now(UTC)
latest = (
    loads.sort("finished_at", descending=True)
    .group_by("channel", "entity", maintain_order=True)
    .first()
    .with_columns(
        hours_since=((pl.lit(now) - pl.col("finished_at")).dt.total_seconds() / 3600).round(1),
        adds_up=pl.col("accepted") + pl.col("quarantined") == pl.col("records"),
    )
    .select(
        "channel",
        "entity",
        "finished_at",
        "hours_since",
        "records",
        "accepted",
        "quarantined",
        "adds_up",
        "checks",
        "checks_failed",
        "max_record_updated_at",
        "load_id",
    )
    .sort("channel", "entity")
)
st.dataframe(
    latest,
    hide_index=True,
    key="health_latest",
    column_config={
        "adds_up": st.column_config.CheckboxColumn("accepted + quarantined = received"),
        "hours_since": st.column_config.NumberColumn("Hours since", format="%.1f"),
    },
)
st.altair_chart(
    alt.Chart(latest)
    .mark_bar()
    .encode(
        x=alt.X("hours_since:Q", title="Hours since the last load"),
        y=alt.Y("channel:N", title=None),
        color=alt.Color("entity:N", title="Entity"),
        yOffset="entity:N",
        tooltip=["channel:N", "entity:N", "finished_at:T", "records:Q"],
    ),
    width="stretch",
)
bad = latest.filter(~pl.col("adds_up"))
if not bad.is_empty():
    st.error(f"{bad.height} load(s) do not add up: accepted + quarantined ≠ received.")

st.subheader("Quarantine")
with st.spinner("Reading the quarantine ..."):
    held = data_health.quarantine(snap)
if channels:
    held = held.filter(pl.col("channel").is_in(channels))
if held.is_empty():
    st.success("Nothing quarantined: every received record was accepted.")
else:
    reasons = (
        held.with_columns(reason=pl.col("reasons").str.split("; "))
        .explode("reason")
        .group_by("channel", "entity", "reason")
        .agg(records=pl.len())
        .sort("records", descending=True)
    )
    st.dataframe(reasons, hide_index=True, key="health_reasons")
    st.dataframe(held, hide_index=True, key="health_quarantine")
    ui.download_table(held, name="quarantine", key="health_quarantine_download")

st.subheader("Check results")
checks = loads.filter(pl.col("checks_failed") > 0).select(
    "channel", "entity", "load_id", "finished_at", "checks", "checks_failed", "failed_expectations"
)
if checks.is_empty():
    st.success(f"Every check passed on all {loads.height:,} loads.")
else:
    st.dataframe(checks, hide_index=True, key="health_checks")
with st.expander("Every load"):
    st.dataframe(loads, hide_index=True, key="health_loads")
    ui.download_table(loads, name="loads", key="health_loads_download")
if snap is not None:
    with st.expander("Snapshot tables"):
        st.dataframe(
            pl.DataFrame(
                {
                    "table": sorted(connection.tables(snap)),
                    "rows": [
                        connection.row_counts(snap)[t] for t in sorted(connection.tables(snap))
                    ],
                }
            ),
            hide_index=True,
            key="health_tables",
        )
