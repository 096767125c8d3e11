"""The supplier's Dagster assets load with their checks and land what the supplier holds."""

from __future__ import annotations

from typing import Any

import dagster as dg
import polars as pl
import pytest

from ichigen.orchestration.resources import LandingResource, supplier_resource
from ichigen.orchestration.supplier_resource import RESOURCE_KEY
from ichigen.orchestration.suppliers import ASSETS, defs
from ichigen.sandbox.simulators.serve import RunningSandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings, load_settings


def _pointed_at(sandbox: RunningSandbox, settings: Settings) -> Settings:
    return load_settings(
        {
            "ICHIGEN_DATA_DIR": str(settings.data_dir),
            "ICHIGEN_SUPPLIER_URL": sandbox.urls["supplier"],
        },
        dotenv=False,
    )


def _resources(settings: Settings) -> dict[str, Any]:
    return {
        "landing": LandingResource(data_dir=str(settings.data_dir)),
        RESOURCE_KEY: supplier_resource(settings),
    }


def test_the_assets_are_grouped_and_tagged_by_channel_and_cadence(settings: Settings) -> None:
    # Merged with the resources, as orchestration.definitions will do.
    merged = dg.Definitions.merge(defs, dg.Definitions(resources=_resources(settings)))
    graph = merged.resolve_asset_graph()
    tags = {
        key.to_user_string(): {k: v for k, v in graph.get(key).tags.items() if "/" not in k}
        for key in graph.get_all_asset_keys()
    }
    assert tags == {
        "supplier_suppliers": {"channel": "supplier", "cadence": "daily"},
        "supplier_catalogue": {"channel": "supplier", "cadence": "daily"},
        "supplier_purchase_orders": {"channel": "supplier", "cadence": "orders"},
    }
    assert {a.group_names_by_key[a.key] for a in ASSETS} == {"supplier"}
    checks = {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys}
    assert ("supplier_purchase_orders", "loses_nothing") in checks
    assert len(checks) == 2 * len(ASSETS)


def test_the_api_key_is_an_environment_reference_when_the_variable_is_set(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setenv("ICHIGEN_SUPPLIER_API_KEY", "sup_from_env")
    resource = supplier_resource(settings)
    assert isinstance(resource.api_key, dg.EnvVar)
    assert "sup_from_env" not in repr(resource)


def test_the_client_keeps_its_own_pace_times_the_rate_multiplier(settings: Settings) -> None:
    from ichigen.ingestion.supplier import DEFAULT_RATE_PER_S

    assert supplier_resource(settings).client().limiter.rate_per_s == DEFAULT_RATE_PER_S
    faster = load_settings(
        {"ICHIGEN_DATA_DIR": str(settings.data_dir), "ICHIGEN_RATE_MULTIPLIER": "10"},
        dotenv=False,
    )
    assert supplier_resource(faster).client().limiter.rate_per_s == 10 * DEFAULT_RATE_PER_S


def test_materialising_the_supplier_assets_lands_everything_with_passing_checks(
    sandbox: RunningSandbox, settings: Settings, world: World
) -> None:
    pointed = _pointed_at(sandbox, settings)
    result = dg.materialize(
        ASSETS,
        resources=_resources(pointed),
    )
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 2 * len(ASSETS) and all(c.passed for c in checks)
    received = {
        event.asset_key.to_user_string(): event.materialization.metadata["received"].value
        for event in result.get_asset_materialization_events()
        if event.asset_key is not None
    }
    with world.lock:
        purchase_orders = world.tables["purchase_orders"].filter(pl.col("ordered_at") <= world.now)
        assert received == {
            "supplier_suppliers": world.tables["suppliers"].height,
            "supplier_catalogue": world.tables["skus"].height,
            "supplier_purchase_orders": purchase_orders["po_id"].n_unique(),
        }
