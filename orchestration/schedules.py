"""Jobs and schedules of ingestion: one job per channel, and cadences across channels.

Assets carry a ``cadence`` tag: ``orders`` (orders and customers, every 15 minutes), ``stock``
(stock levels, every 5 minutes) and ``daily`` (reference data such as locations). Runs are
tagged with the channel so that the Dagster UI can filter them.
"""

from __future__ import annotations

import dagster as dg

__all__ = ["CHANNEL_GROUPS", "defs"]

CHANNEL_GROUPS = ("shopify", "amazon", "rakuten", "files", "supplier")


def _cadence_job(cadence: str) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        f"{cadence}_ingest_job",
        selection=dg.AssetSelection.tag("cadence", cadence),
        tags={"ichigen/cadence": cadence},
    )


_orders, _stock, _daily = (_cadence_job(c) for c in ("orders", "stock", "daily"))

channel_jobs = [
    dg.define_asset_job(
        f"{group}_ingest_job",
        selection=dg.AssetSelection.groups(group),
        tags={"channel": group},
    )
    for group in CHANNEL_GROUPS
]

defs = dg.Definitions(
    jobs=[_orders, _stock, _daily, *channel_jobs],
    schedules=[
        dg.ScheduleDefinition(name="orders_schedule", job=_orders, cron_schedule="*/15 * * * *"),
        dg.ScheduleDefinition(name="stock_schedule", job=_stock, cron_schedule="*/5 * * * *"),
        dg.ScheduleDefinition(name="daily_schedule", job=_daily, cron_schedule="0 4 * * *"),
    ],
)
