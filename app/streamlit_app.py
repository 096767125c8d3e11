"""ichigen's app: routes to one page per job, grouped by who does it (DESIGN.md, app/).

The page scripts live in `views/`, not `pages/`: Streamlit turns a `pages/` folder beside the
entry point into its older automatic navigation, which bypasses this router (and its user
and role pickers) when a page's URL is opened directly.
"""

from __future__ import annotations

import streamlit as st

from ichigen.app.data import connection
from ichigen.app.roles import sidebar_user

st.set_page_config(page_title="ichigen", page_icon=":material/storefront:", layout="wide")

pages = {
    "": [
        st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    ],
    "Merchandisers": [
        st.Page("views/demand.py", title="Demand", icon=":material/trending_up:"),
        st.Page("views/returns.py", title="Returns", icon=":material/assignment_return:"),
    ],
    "Marketers": [
        st.Page("views/customers.py", title="Customers", icon=":material/groups:"),
    ],
    "Buyers": [
        st.Page("views/reorder.py", title="Reorder", icon=":material/shopping_cart:"),
        st.Page("views/inventory.py", title="Inventory", icon=":material/inventory_2:"),
    ],
    "Operations": [
        st.Page("views/orders.py", title="Orders", icon=":material/receipt_long:"),
        st.Page("views/data_health.py", title="Data health", icon=":material/monitor_heart:"),
    ],
}

page = st.navigation(pages)
sidebar_user()
snap = connection.snapshot()
with st.sidebar:
    if snap is None:
        st.caption("No snapshot published yet.")
    else:
        from datetime import UTC, datetime

        built = datetime.fromtimestamp(snap.mtime_ns / 1e9, tz=UTC).astimezone()
        st.caption(f"Snapshot published {built:%Y-%m-%d %H:%M}")
page.run()
