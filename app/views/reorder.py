"""Reorder: alerts by urgency with the numbers behind each suggested quantity; edit, approve
into one purchase order per supplier and warehouse, send, follow until received."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from ichigen.app import actions, ui
from ichigen.app.data import connection, reorder
from ichigen.app.roles import current_user
from ichigen.ops import OpsError, Permission
from ichigen.ops.exports import purchase_order_csv
from ichigen.ops.purchase_orders import (
    approve_purchase_order,
    cancel_purchase_order,
    create_purchase_order_draft,
    list_purchase_orders,
    propose_purchase_orders,
    purchase_order_history,
    purchase_order_lines,
    send_purchase_order,
)

st.title("Reorder")
snap = ui.require_snapshot("fct_reorder_signals", "dim_products")
user = current_user()
store = actions.ops_store()

locations = connection.locations(snap)
f1, f2 = st.columns(2)
with f1:
    warehouses = ui.multiselect_filter(
        "Warehouses",
        locations.filter(pl.col("kind") == "warehouse")["location_id"].to_list(),
        key="reorder_warehouses",
    )
with f2:
    suppliers = ui.multiselect_filter("Suppliers", reorder.suppliers(snap), key="reorder_suppliers")

signals = reorder.reorder_signals(snap, warehouses=warehouses, suppliers=suppliers)
c1, c2, c3 = st.columns(3)
c1.metric("Suggestions", f"{signals.height:,}")
c2.metric("Suggested value", ui.yen(float(signals["suggested_value_jpy"].sum() or 0)))
cover = signals["days_of_cover"].drop_nulls()
c3.metric("Least cover", "–" if cover.is_empty() else f"{float(cover.min()):.1f} days")  # type: ignore[arg-type]

tab_alerts, tab_orders = st.tabs(["Alerts", "Purchase orders"])

with tab_alerts:
    if signals.is_empty():
        st.success("Nothing needs reordering for these warehouses and suppliers.")
    else:
        st.caption(
            "Tick what to order and change a quantity if you know better; the suggestion stays "
            "with the line so the order explains itself."
        )
        editable = signals.select(
            pl.lit(False).alias("order"),
            pl.col("suggested_quantity").alias("quantity"),
            "urgency_rank",
            "sku",
            "title",
            "warehouse_id",
            "supplier_id",
            "suggested_quantity",
            "days_of_cover",
            "inventory_position",
            "reorder_point",
            "moq",
            "case_pack",
            "unit_cost_jpy",
            "reorder_key",
        )
        edited = st.data_editor(
            editable,
            hide_index=True,
            key="reorder_editor",
            disabled=[c for c in editable.columns if c not in ("order", "quantity")],
            column_config={
                "order": st.column_config.CheckboxColumn("Order", help="Put on a purchase order"),
                "quantity": st.column_config.NumberColumn("Quantity", min_value=0, step=1),
                "days_of_cover": st.column_config.NumberColumn("Days of cover", format="%.1f"),
                "reorder_point": st.column_config.NumberColumn("Reorder point", format="%.1f"),
            },
        )
        ui.download_table(signals, name="reorder_suggestions", key="reorder_download")
        ticked = pl.from_pandas(edited) if not isinstance(edited, pl.DataFrame) else edited
        ticked = ticked.filter(pl.col("order"))
        may_edit = user.may(Permission.EDIT_PURCHASE_ORDERS)
        if st.button(
            f"Create purchase orders from {ticked.height} ticked line(s)",
            type="primary",
            disabled=ticked.is_empty() or not may_edit,
            key="reorder_create",
            help=None if may_edit else "Needs the buyer or admin role.",
        ):
            lines = signals.join(ticked.select("reorder_key", "quantity"), on="reorder_key")
            created = []
            try:
                for proposal in propose_purchase_orders(lines):
                    created.append(
                        create_purchase_order_draft(
                            store,
                            user=user.name,
                            role=user.role,
                            supplier_id=proposal.supplier_id,
                            ship_to_location_id=proposal.ship_to_location_id,
                            lines=proposal.lines,
                        )
                    )
            except OpsError as exc:
                st.error(str(exc))
            if created:
                st.success(f"Created draft purchase order(s): {', '.join(created)}")

        st.subheader("Why this quantity")
        explain_key = st.selectbox(
            "Suggestion",
            signals["reorder_key"].to_list(),
            key="reorder_explain",
            format_func=lambda k: k.replace(":", " · "),
        )
        row = signals.filter(pl.col("reorder_key") == explain_key).row(0, named=True)
        source = row.get("demand_source") or row.get("demand_basis")
        source_detail = (
            f"forecast, {row.get('forecast_model')}"
            if source == "forecast"
            else f"history, {row.get('demand_window_days')} days"
        )
        explained = [
            (f"Daily demand d ({source_detail})", row.get("demand_daily_mean")),
            (f"Lead time L, days ({row.get('lead_time_basis')})", row.get("lead_time_days")),
            ("Lead time variability sd_LT, days", row.get("lead_time_days_sd")),
            ("Review period R, days", row.get("review_period_days")),
            ("Demand over the lead time", row.get("lead_time_demand")),
            ("Demand over L + R (protection)", row.get("protection_demand")),
            ("Its standard deviation", row.get("protection_demand_sd")),
            ("Safety stock = z·√(var over L+R + d²·sd_LT²)", row.get("safety_stock")),
            ("Reorder point = lead-time demand + safety stock", row.get("reorder_point")),
            ("Order up to = protection demand + safety stock", row.get("order_up_to")),
            (
                "Position = on hand + in transit + on order − reserved",
                row.get("inventory_position"),
            ),
            ("Raw quantity = order up to − position", row.get("raw_quantity")),
            (
                f"Suggested: rounded up to cases of {row['case_pack']}, at least MOQ {row['moq']}",
                row.get("suggested_quantity"),
            ),
        ]
        steps = pl.DataFrame(
            {
                "step": [label for label, value in explained if value is not None],
                "value": [float(value) for _, value in explained if value is not None],
            }
        )
        st.dataframe(
            steps,
            hide_index=True,
            key="reorder_explanation",
            column_config={"value": st.column_config.NumberColumn(format="%.2f")},
        )
        st.caption(
            f"z = {row['service_level_z']:.3f}; "
            f"on hand {row['on_hand']}, in transit {row['in_transit']}, on order "
            f"{row['on_order']} ({row['open_purchase_orders']} open purchase orders), reserved "
            f"{row['reserved']}; rounding added {row['rounding_added']:.1f}."
        )
        st.altair_chart(
            alt.Chart(signals.head(30))
            .mark_bar()
            .encode(
                x=alt.X("days_of_cover:Q", title="Days of cover"),
                y=alt.Y("reorder_key:N", sort="x", title=None),
                color=alt.Color("lead_time_days:Q", title="Lead time (days)"),
                tooltip=["sku:N", "warehouse_id:N", "days_of_cover:Q", "lead_time_days:Q"],
            ),
            width="stretch",
        )

with tab_orders:
    orders = list_purchase_orders(store)
    if orders.is_empty():
        st.info("No purchase orders yet: tick suggestions under Alerts and create them.")
    else:
        st.dataframe(orders, hide_index=True, key="reorder_orders_table")
        po_id = st.selectbox("Purchase order", orders["po_id"].to_list(), key="reorder_po")
        order = orders.filter(pl.col("po_id") == po_id).row(0, named=True)
        st.markdown(
            f"**{po_id}** · {order['supplier_id']} → {order['ship_to_location_id']} · "
            f"status **{order['status']}**"
            + (f" · supplier: {order['supplier_status']}" if order["supplier_status"] else "")
        )
        b1, b2, b3, b4 = st.columns(4)
        # the outcome of the last click survives the rerun that shows the order's new status
        if (last := st.session_state.pop("reorder_outcome", None)) is not None:
            ok, message = last
            (st.success if ok else st.info)(message)
        try:
            if b1.button(
                "Approve",
                key="reorder_approve",
                disabled=order["status"] != "draft"
                or not user.may(Permission.APPROVE_PURCHASE_ORDERS),
            ):
                approve_purchase_order(store, po_id, user=user.name, role=user.role)
                st.session_state["reorder_outcome"] = (True, f"{po_id} approved by {user.name}.")
                st.rerun()
            if b2.button(
                "Send to supplier",
                key="reorder_send",
                type="primary",
                disabled=order["status"] != "approved"
                or not user.may(Permission.SEND_PURCHASE_ORDERS),
            ):
                action_id = send_purchase_order(store, po_id, user=user.name, role=user.role)
                with st.spinner("Sending ..."):
                    outcome = actions.send_now([action_id])
                st.session_state["reorder_outcome"] = (outcome.sent, outcome.message)
                st.rerun()
            if b3.button(
                "Cancel",
                key="reorder_cancel",
                disabled=order["status"] not in ("draft", "approved")
                or not user.may(Permission.EDIT_PURCHASE_ORDERS),
            ):
                cancel_purchase_order(store, po_id, user=user.name, role=user.role)
                st.session_state["reorder_outcome"] = (True, f"{po_id} cancelled.")
                st.rerun()
            if b4.button(
                "Follow suppliers",
                key="reorder_follow",
                disabled=not user.may(Permission.DISPATCH),
            ):
                with st.spinner("Asking suppliers ..."):
                    outcome = actions.follow_now()
                st.session_state["reorder_outcome"] = (outcome.sent, outcome.message)
                st.rerun()
        except OpsError as exc:
            st.error(str(exc))
        st.download_button(
            f"Download {po_id}.csv",
            purchase_order_csv(store, po_id),
            file_name=f"{po_id}.csv",
            mime="text/csv",
            key="reorder_po_download",
        )
        st.markdown("**Lines**")
        st.dataframe(purchase_order_lines(store, po_id), hide_index=True, key="reorder_po_lines")
        st.markdown("**History**")
        st.dataframe(
            purchase_order_history(store, po_id), hide_index=True, key="reorder_po_history"
        )
