"""Configuration: sandbox defaults, overrides from the environment, and the README's table."""

from __future__ import annotations

from pathlib import Path

import pytest

from ichigen.settings import ENV_VARS, SANDBOX_PORTS, load_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults_point_every_channel_at_the_sandbox_on_loopback() -> None:
    settings = load_settings({}, dotenv=False)
    for channel, port in SANDBOX_PORTS.items():
        assert getattr(settings, channel).url == f"http://127.0.0.1:{port}"
    assert settings.amazon.lwa_url == "http://127.0.0.1:8702/auth/o2/token"
    assert settings.pos_drop_dir == settings.data_dir / "sandbox" / "drops" / "pos"


def test_environment_variables_override_the_defaults(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "ICHIGEN_DATA_DIR": str(tmp_path),
            "ICHIGEN_SHOPIFY_URL": "https://example.myshopify.com/",
            "ICHIGEN_SHOPIFY_ACCESS_TOKEN": "shpat_real",
            "ICHIGEN_AMAZON_URL": "https://sellingpartnerapi-fe.amazon.com",
            "ICHIGEN_AMAZON_LWA_URL": "https://api.amazon.com/auth/o2/token",
        },
        dotenv=False,
    )
    assert settings.data_dir == tmp_path.resolve()
    assert settings.shopify.url == "https://example.myshopify.com"
    assert settings.shopify.access_token.get_secret_value() == "shpat_real"
    assert settings.amazon.lwa_url == "https://api.amazon.com/auth/o2/token"


def test_credentials_never_appear_in_a_settings_repr() -> None:
    settings = load_settings({"ICHIGEN_SHOPIFY_ACCESS_TOKEN": "shpat_secret123"}, dotenv=False)
    assert "shpat_secret123" not in repr(settings) and "shpat_secret123" not in str(settings)
    assert "sandbox-client-secret" not in repr(settings)


def test_a_setting_that_is_not_a_positive_number_is_refused_with_its_variable() -> None:
    with pytest.raises(ValueError, match="ICHIGEN_RATE_MULTIPLIER must be a positive number"):
        load_settings({"ICHIGEN_RATE_MULTIPLIER": "0"}, dotenv=False)


def test_the_readme_documents_every_environment_variable() -> None:
    # ENV_VARS is made from the settings' fields, so a new field is a new row to write
    assert all(var.doc for var in ENV_VARS)
    table_rows = [line for line in README.read_text("utf-8").splitlines() if line.startswith("| `")]
    documented = {row.split("`")[1] for row in table_rows}
    assert {var.name for var in ENV_VARS} <= documented


def test_the_rakuten_license_key_warns_from_fourteen_days_before_it_expires() -> None:
    from datetime import date

    issued = load_settings(
        {"ICHIGEN_RAKUTEN_LICENSE_KEY_ISSUED_ON": "2026-09-15"}, dotenv=False
    ).rakuten
    # RMS keys last 90 days: this one expires on 2026-12-14
    assert issued.license_key_warning(date(2026, 11, 29)) is None
    soon = issued.license_key_warning(date(2026, 11, 30))
    assert soon is not None and "expires on 2026-12-14 (in 14 days)" in soon
    assert "ICHIGEN_RAKUTEN_LICENSE_KEY_ISSUED_ON" in soon
    gone = issued.license_key_warning(date(2026, 12, 14))
    assert gone is not None and "expired on 2026-12-14" in gone
    unknown = load_settings({}, dotenv=False).rakuten
    assert unknown.license_key_warning(date(2026, 12, 14)) is None
