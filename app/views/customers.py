"""Customers: one customer across channels, segments (RFM), cohorts, repeat rate, channel mix,
and for one customer the identities merged into it and why."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from ichigen.app import ui
from ichigen.app.data import connection, customers
from ichigen.app.roles import current_user, mask_personal
from ichigen.ops.roles import Permission

st.title("Customers")
snap = ui.require_snapshot("fct_orders", "map_customer_identities")
user = current_user()
if not user.may(Permission.SEE_PERSONAL_DATA):
    st.caption(f"Personal data is masked for the {user.role.value} role.")
elif connection.clear_values_missing(snap):
    st.warning(
        "Personal data is masked: this snapshot's restricted file of clear values "
        "(serving/restricted/) is missing or from another build. Run `oms build` again."
    )

channels = ui.multiselect_filter("Channels", connection.channels(snap), key="customers_channels")

from_mart = "dim_customers" in connection.tables(snap)
with st.spinner("Scoring customers ..."):
    mix = customers.customer_summary(snap, channels=channels)
    # scored here only while dim_customers (which holds the scores) is not built
    rfm = None if from_mart else customers.rfm_segments(snap, channels=channels)
if mix.is_empty():
    st.info("No customers with orders in this channel selection yet.")
    st.stop()

customer_count = int(mix["customers"].sum())
repeat = int(mix["repeat_customers"].sum())
multi = int(mix.filter(pl.col("channel_mix").str.contains(r"\+"))["customers"].sum() or 0)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Customers", f"{customer_count:,}")
c2.metric(
    "Repeat rate", f"{repeat / customer_count:.1%}", help="Customers with two orders or more."
)
c3.metric("Shop on several channels", f"{multi:,}")
c4.metric("Orders per customer", f"{int(mix['orders'].sum()) / customer_count:.2f}")

tab_segments, tab_cohorts, tab_mix, tab_one = st.tabs(
    ["Segments (RFM)", "Cohorts", "Channel mix", "One customer"]
)

with tab_segments:
    if rfm is None:
        segments = customers.customer_segments(snap, channels=channels)
    else:
        segments = (
            rfm.group_by("segment")
            .agg(
                customers=pl.len(),
                monetary_jpy=pl.col("monetary_jpy").sum(),
                avg_recency_days=pl.col("recency_days").mean(),
                avg_frequency=pl.col("frequency").mean(),
            )
            .sort("customers", descending=True)
        )
    st.altair_chart(
        alt.Chart(segments)
        .mark_bar()
        .encode(
            x=alt.X("customers:Q", title="Customers"),
            y=alt.Y("segment:N", sort="-x", title=None),
            tooltip=["segment:N", "customers:Q", "monetary_jpy:Q", "avg_frequency:Q"],
        ),
        width="stretch",
    )
    st.caption(
        "Recency, frequency and monetary value scored 1-5 by quintile; champions and loyal "
        "buy often and lately, at risk and lost have not bought for a while."
        + ("" if from_mart else " (Scored here: dim_customers is not built yet.)")
    )
    segment = st.selectbox(
        "Customers in segment", segments["segment"].to_list(), key="customers_segment"
    )
    in_segment = (
        customers.customers_in_segment(
            snap, channels=channels, segment=str(segment), role=user.role
        )
        if rfm is None
        else rfm.filter(pl.col("segment") == segment)
    )
    shown = mask_personal(in_segment, user)
    st.dataframe(shown.head(connection.LIMIT), hide_index=True, key="customers_rfm_table")
    ui.download_table(shown, name=f"customers_{segment}", key="customers_rfm_download")

with tab_cohorts:
    cohorts = customers.cohorts(snap, channels=channels)
    st.altair_chart(
        alt.Chart(cohorts)
        .mark_rect()
        .encode(
            x=alt.X("months_after:O", title="Months after first order"),
            y=alt.Y("cohort:O", title="First order month", timeUnit="yearmonth"),
            color=alt.Color("retention:Q", title="Ordering again", scale=alt.Scale(scheme="blues")),
            tooltip=[
                "cohort:T",
                "months_after:O",
                "customers:Q",
                alt.Tooltip("retention:Q", format=".0%"),
            ],
        ),
        width="stretch",
    )
    ui.download_table(cohorts, name="cohorts", key="customers_cohorts_download")

with tab_mix:
    st.altair_chart(
        alt.Chart(mix.head(15))
        .mark_bar()
        .encode(
            x=alt.X("customers:Q", title="Customers"),
            y=alt.Y("channel_mix:N", sort="-x", title="Channels they bought on"),
            tooltip=["channel_mix:N", "customers:Q", "repeat_customers:Q", "orders:Q"],
        ),
        width="stretch",
    )
    st.dataframe(mix, hide_index=True, key="customers_mix_table")

with tab_one:
    if rfm is None:
        default = customers.customer_on_several_channels(snap, channels=channels)
    else:
        several = rfm.filter(pl.col("channel_mix").str.contains(r"\+"))["customer_id"]
        default = str(several[0]) if several.len() else None
    customer_id = st.text_input(
        "Customer id",
        value=default or "",
        key="customers_customer_id",
        help="A customer id (cus_...) from the tables above.",
    ).strip()
    if customer_id:
        identities = customers.customer_identities(snap, customer_id, role=user.role)
        if identities.is_empty():
            st.warning(f"No customer {customer_id} in the snapshot.")
        else:
            st.markdown(
                f"**{identities.height} identit{'y' if identities.height == 1 else 'ies'}** "
                "merged into this customer, each with the link that joined it:"
            )
            st.dataframe(
                mask_personal(identities, user), hide_index=True, key="customers_identities"
            )
            rules = ", ".join(sorted(set(identities["rule"].drop_nulls().to_list())))
            st.caption(
                f"Rules: {rules}. `singleton` means the identity matched no other; a score "
                "of 0.9 or more (e-mail, phone ...) merges, weaker matches are only suggested."
            )
            profile = customers.customer_profile(snap, customer_id, role=user.role)
            if not profile.is_empty():
                st.markdown("**Profile**")
                st.dataframe(mask_personal(profile, user), hide_index=True, key="customers_profile")
