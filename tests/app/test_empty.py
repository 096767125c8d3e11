"""Every page on a first run (no snapshot yet) and on a snapshot whose tables are empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from ichigen.app.screenshots import PAGES
from tests.app.conftest import RunPage


@pytest.mark.parametrize("page", PAGES)
def test_every_page_says_no_data_yet_before_the_first_build(
    page: str, empty_data_dir: Path, run_page: RunPage
) -> None:
    at = run_page(page, empty_data_dir)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == page.replace("_", " ").capitalize()
    notes = " ".join(i.value for i in at.info)
    assert "No data yet" in notes or "No loads have landed" in notes


def test_the_router_runs_before_the_first_build(empty_data_dir: Path, run_page: RunPage) -> None:
    at = run_page("app", empty_data_dir)
    assert not at.exception
    assert any("No snapshot published yet" in c.value for c in at.sidebar.caption)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_every_page_copes_with_a_snapshot_of_empty_tables(
    page: str, empty_tables_data_dir: Path, run_page: RunPage
) -> None:
    at = run_page(page, empty_tables_data_dir)
    assert not at.exception, [e.value for e in at.exception]
    assert at.info or at.success, "an empty page should say why it is empty"
