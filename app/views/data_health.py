"""Data health: how complete each channel and entity is, every pull and file that failed with its
cause and fix, the last load per channel and entity, freshness, quarantined records with their
reasons (each counted once however often it was received), and the loads' check results."""

from __future__ import annotations

from datetime import UTC, datetime

import altair as alt
import polars as pl
import streamlit as st

from ichigen.app import ui
from ichigen.app.data import connection, data_health
from ichigen.app.snapshot import data_dir
from ichigen.settings import load_settings

st.title("Data health")
snap = connection.snapshot()
now = datetime.now(UTC)
expiring = load_settings().rakuten.license_key_warning()
if expiring:
    st.warning(expiring)
loads = data_health.loads(snap)
completeness = data_health.with_staleness(data_health.completeness(snap), now=now)
failures = data_health.failures(snap)
unresolved = failures.filter(pl.col("resolved_at").is_null())

c1, c2, c3, c4, c5 = st.columns(5)
if snap is None:
    c1.metric("Snapshot", "none yet")
else:
    age_h = (now.timestamp() - snap.mtime_ns / 1e9) / 3600
    c1.metric("Snapshot age", f"{age_h:.1f} h", help=snap.path)
c2.metric("Loads", f"{loads.height:,}")
c3.metric(
    "Records quarantined",
    f"{int(completeness['quarantined_distinct'].sum() or 0):,}",
    help="Each refused record counted once, however often it was received.",
)
c4.metric("Failed checks", f"{int(loads['checks_failed'].sum() or 0):,}")
c5.metric(
    "Failures",
    f"{unresolved.height:,}",
    help="Pulls that no completed load has made up for yet, and files that failed whole.",
)

if loads.is_empty() and completeness.is_empty():
    if snap is None:
        st.info(ui.NO_DATA, icon=":material/hourglass_empty:")
    else:
        st.info(
            f"No loads have landed under {data_dir()} by the last build — run `oms ingest`, "
            "then `oms build` (or `oms demo`)."
        )
    st.stop()

warning = data_health.completeness_warning(completeness, now=now)
if warning:
    st.warning(warning, icon=":material/warning:")

channels = ui.multiselect_filter(
    "Channels",
    sorted(set(loads["channel"].to_list()) | set(completeness["channel"].to_list())),
    key="health_channels",
)
if channels:
    loads = loads.filter(pl.col("channel").is_in(channels))
    completeness = completeness.filter(pl.col("channel").is_in(channels))
    failures = failures.filter(pl.col("channel").is_in(channels))

st.subheader("Completeness")
st.dataframe(
    completeness.select(
        "channel",
        "entity",
        "is_complete",
        "is_stale",
        "is_held",
        "loaded_through",
        "last_completed_load_at",
        "records_received",
        "records_accepted",
        "records_quarantined",
        "quarantined_distinct",
        "files_failed",
        "last_failure_at",
        "last_failure_cause",
        "last_failure_fix",
        "held_as_of",
        "held_reason",
    ),
    hide_index=True,
    key="health_completeness",
    column_config={
        "is_complete": st.column_config.CheckboxColumn(
            "Complete", help="Its last completed load came after its last failed pull."
        ),
        "is_stale": st.column_config.CheckboxColumn(
            "Stale", help="No completed load within the time its entity allows."
        ),
        "is_held": st.column_config.CheckboxColumn(
            "Held back",
            help="Its channel's new data could not be built: it shows its last good state.",
        ),
        "held_as_of": st.column_config.DatetimeColumn(
            "Last good state", help="The build whose data a held channel still shows."
        ),
        "loaded_through": st.column_config.DatetimeColumn(
            "Loaded through", help="The newest change time the channel gave a landed record."
        ),
        "records_quarantined": st.column_config.NumberColumn(
            "Quarantined (receipts)", help="Every receipt, so accepted + quarantined = received."
        ),
        "quarantined_distinct": st.column_config.NumberColumn(
            "Quarantined (records)", help="Each refused record once, however often received."
        ),
        "files_failed": st.column_config.NumberColumn(
            "Files failed whole", help="Distinct files (by content) that could not be imported."
        ),
    },
)

st.subheader("Failures")
if failures.is_empty():
    st.success("No pull and no file has failed.")
else:
    st.dataframe(
        failures,
        hide_index=True,
        key="health_failures",
        column_config={
            "times_failed": st.column_config.NumberColumn(
                "Times", help="A file sent or tried again with the same content counts once."
            ),
            "resolved_at": st.column_config.DatetimeColumn(
                "Resolved at", help="When a completed load of the same entity made up for it."
            ),
        },
    )
    ui.download_table(failures, name="ingest_failures", key="health_failures_download")

if loads.is_empty():
    st.info("No load has completed yet: the failures above say why.")
    st.stop()

st.subheader("Last load per channel and entity")
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
