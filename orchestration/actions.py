"""Actions in Dagster: the scheduled stock sync, the outbox dispatcher, purchase-order follow-up.

They go through `ichigen.ops` exactly as the pages do (the stock sync records its pushes as
the system user through the same API), so automatic and manual pushes behave the same. The
channel resources are the ingestion ones (keys ``shopify``, ``amazon``, ``rakuten``,
``supplier``); `ops_resources` adds the ops store under ``ops``.

- ``stock_sync_job`` / ``stock_sync_schedule``: every 15 minutes, "all that differ" from the
  published snapshot. Off by default: it writes to the channels, so someone switches it on.
- ``dispatch_outbox_job`` / ``dispatch_outbox_sensor``: whenever the outbox holds due actions
  (recorded by the pages, retries that are due, sends whose run died), a run sends them.
- ``follow_purchase_orders_job`` / ``follow_purchase_orders_schedule``: hourly, the status of
  every order sent and not yet received.
"""

# No `from __future__ import annotations`: Dagster compares the context annotation itself.
import hashlib
from pathlib import Path

import dagster as dg
import polars as pl
from dagster import OpExecutionContext

from ichigen.ops import OpsStore
from ichigen.ops.claims import due_actions
from ichigen.ops.dispatch import Connectors, dispatch
from ichigen.ops.follow import follow_purchase_orders
from ichigen.ops.outbox import list_actions
from ichigen.ops.sync import read_availability, sync_stock
from ichigen.ops.targets import ChannelTargets
from ichigen.orchestration.resources import AmazonResource, RakutenResource, ShopifyResource
from ichigen.orchestration.supplier_resource import SupplierResource
from ichigen.paths import DataPaths
from ichigen.settings import Settings

__all__ = ["OpsResource", "defs", "ops_resources"]


class OpsResource(dg.ConfigurableResource):
    """The ops store and the published snapshot under the data directory."""

    data_dir: str

    def store(self) -> OpsStore:
        return OpsStore.under(Path(self.data_dir))

    def snapshot(self) -> Path:
        return DataPaths(Path(self.data_dir)).snapshot

    def targets(self) -> ChannelTargets:
        return ChannelTargets.load(Path(self.data_dir))


def ops_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    return {"ops": OpsResource(data_dir=str(settings.data_dir))}


def _connectors(
    ops: OpsResource,
    shopify: ShopifyResource,
    amazon: AmazonResource,
    rakuten: RakutenResource,
    supplier: SupplierResource,
) -> Connectors:
    return Connectors(
        shopify=shopify.client(),
        amazon=amazon.client(),
        rakuten=rakuten.client(),
        supplier=supplier.client(),
        targets=ops.targets(),
    )


@dg.op(tags={"ichigen/action": "stock_sync"})
def sync_stock_to_channels(
    context: OpExecutionContext,
    ops: OpsResource,
    shopify: ShopifyResource,
    amazon: AmazonResource,
    rakuten: RakutenResource,
    supplier: SupplierResource,
) -> dg.Output[int]:
    """Record and send every listing the snapshot says differs from what it should show."""
    availability = read_availability(ops.snapshot())
    if availability is None:
        context.log.info("no published snapshot yet: nothing to compare, nothing pushed")
        return dg.Output(0, metadata={"recorded": 0})
    with _connectors(ops, shopify, amazon, rakuten, supplier) as connectors:
        report = sync_stock(ops.store(), connectors, availability)
    sent = report.dispatched
    context.log.info(
        f"{len(report.action_ids)} pushes recorded; accepted {len(sent.accepted)}, "
        f"rejected {len(sent.rejected)}, retrying {len(sent.retrying)}"
    )
    by_channel = report.planned.group_by("channel").len().sort("channel")
    return dg.Output(
        len(report.action_ids),
        metadata={
            "recorded": len(report.action_ids),
            "accepted": len(sent.accepted),
            "rejected": len(sent.rejected),
            "retrying": len(sent.retrying) + len(sent.failed),
            "by_channel": dg.MetadataValue.md(
                "\n".join(f"- {c}: {n}" for c, n in by_channel.iter_rows()) or "none"
            ),
        },
    )


@dg.op(tags={"ichigen/action": "dispatch"})
def send_outbox(
    context: OpExecutionContext,
    ops: OpsResource,
    shopify: ShopifyResource,
    amazon: AmazonResource,
    rakuten: RakutenResource,
    supplier: SupplierResource,
) -> dg.Output[int]:
    with _connectors(ops, shopify, amazon, rakuten, supplier) as connectors:
        report = dispatch(ops.store(), connectors)
    context.log.info(
        f"sent {report.sent}: accepted {len(report.accepted)}, rejected {len(report.rejected)}, "
        f"retrying {len(report.retrying)}, failed {len(report.failed)}"
    )
    return dg.Output(
        report.sent,
        metadata={
            "accepted": len(report.accepted),
            "rejected": len(report.rejected),
            "retrying": len(report.retrying),
            "failed": len(report.failed),
            "replayed": len(report.replayed),
        },
    )


@dg.op(tags={"ichigen/action": "follow_purchase_orders"})
def follow_supplier_orders(
    context: OpExecutionContext, ops: OpsResource, supplier: SupplierResource
) -> dg.Output[int]:
    with supplier.client() as client:
        report = follow_purchase_orders(ops.store(), Connectors(supplier=client))
    for po_id, error in report.errors.items():
        context.log.warning(f"{po_id}: {error}")
    return dg.Output(
        len(report.changed),
        metadata={"checked": report.checked, "moved": len(report.changed)},
    )


@dg.job(tags={"ichigen/domain": "actions"})
def stock_sync_job() -> None:
    sync_stock_to_channels()


@dg.job(tags={"ichigen/domain": "actions"})
def dispatch_outbox_job() -> None:
    send_outbox()


@dg.job(tags={"ichigen/domain": "actions"})
def follow_purchase_orders_job() -> None:
    follow_supplier_orders()


stock_sync_schedule = dg.ScheduleDefinition(
    name="stock_sync_schedule",
    job=stock_sync_job,
    cron_schedule="*/15 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)

follow_purchase_orders_schedule = dg.ScheduleDefinition(
    name="follow_purchase_orders_schedule",
    job=follow_purchase_orders_job,
    cron_schedule="7 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


@dg.sensor(
    name="dispatch_outbox_sensor",
    job=dispatch_outbox_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def dispatch_outbox_sensor(
    context: dg.SensorEvaluationContext, ops: OpsResource
) -> dg.SensorResult | dg.SkipReason:
    """A run whenever the outbox holds due actions. The run key names those actions and when
    each last changed, so one backlog starts one run, and a send whose run died (its actions
    due again once stale, with a newer change time) starts another."""
    store = ops.store()
    due = due_actions(store)
    if not due:
        return dg.SkipReason("the outbox holds nothing due")
    changed = list_actions(store, limit=1_000_000).filter(pl.col("action_id").is_in(due))
    stamps = [f"{a}@{t.isoformat()}" for a, t in changed.select("action_id", "updated_at").rows()]
    fingerprint = hashlib.sha256("\n".join(sorted(stamps)).encode()).hexdigest()[:16]
    if fingerprint == context.cursor:
        return dg.SkipReason(f"a run for these {len(due)} actions was requested already")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"dispatch:{fingerprint}")], cursor=fingerprint
    )


defs = dg.Definitions(
    jobs=[stock_sync_job, dispatch_outbox_job, follow_purchase_orders_job],
    schedules=[stock_sync_schedule, follow_purchase_orders_schedule],
    sensors=[dispatch_outbox_sensor],
)
