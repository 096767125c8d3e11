"""Where everything lives under the data directory: the one place its layout is spelled out.

    data/
      landing/<channel>/<entity>/   append-only Parquet parts and their loads' manifests
      quarantine/<channel>/<entity>/ rows refused, with their reasons
      warehouse/ichigen.duckdb      the dbt build (only dbt writes it)
      warehouse/channel_states.json each channel's last good build, and the channels held back
      serving/current.duckdb        the published read-only snapshot (the app reads only this)
      serving/restricted/           its personal data in the clear (0700; files 0600)
      forecasts/                    the forecasting asset's Parquet output (a dbt source)
      ops/ops.sqlite                the ops store: the outbox of stock pushes and purchase orders
      dagster/                      DAGSTER_HOME of `oms demo` and the CLI runs
      logs/                         each `oms ingest` / `oms build`: its failures' full traces
      sandbox/                      the simulated business (world, truth, file drops)

Every layer builds its paths from a `DataPaths`, never by joining folder names itself, so moving a
folder is a change here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["DataPaths"]


@dataclass(frozen=True)
class DataPaths:
    """The data directory's layout, rooted at `root` (``ICHIGEN_DATA_DIR``)."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def warehouse_dir(self) -> Path:
        return self.root / "warehouse"

    @property
    def warehouse(self) -> Path:
        """The DuckDB file dbt builds (one writer: dbt)."""
        return self.warehouse_dir / "ichigen.duckdb"

    @property
    def channel_states(self) -> Path:
        """Each channel's good-through point (the start of the last build that read its new
        data) and the channels whose new data is held back (orchestration/held_channels.py)."""
        return self.warehouse_dir / "channel_states.json"

    @property
    def dbt_target(self) -> Path:
        """dbt's target folder for builds of this data directory (compiled SQL, run results)."""
        return self.warehouse_dir / "dbt_target"

    @property
    def serving_dir(self) -> Path:
        return self.root / "serving"

    @property
    def snapshot(self) -> Path:
        """The published read-only snapshot of the marts: all the app ever opens."""
        return self.serving_dir / "current.duckdb"

    @property
    def restricted_dir(self) -> Path:
        """The snapshots' personal data in the clear, for the roles that may see it (0700)."""
        return self.serving_dir / "restricted"

    @property
    def forecasts(self) -> Path:
        return self.root / "forecasts"

    @property
    def ops_dir(self) -> Path:
        return self.root / "ops"

    @property
    def ops_store(self) -> Path:
        """The ops store (SQLite: the app and the dispatcher write it concurrently)."""
        return self.ops_dir / "ops.sqlite"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    @property
    def logs(self) -> Path:
        """A log per `oms ingest` or `oms build`: the full traces behind its one-line errors."""
        return self.root / "logs"

    @property
    def sandbox(self) -> Path:
        return self.root / "sandbox"

    @property
    def sandbox_drops(self) -> Path:
        """Where the sandbox drops its POS, wholesale, member and stock files."""
        return self.sandbox / "drops"

    @property
    def bench(self) -> Path:
        return self.root / "bench"
