{#- fct_demand_daily's incremental build (see the model's header).

    A shelf's rows (SKU, location) depend on the days before them: the trailing rates on the last
    28 days, a stock-out flag on the whole zero-sale run that holds the day (its length, the rate
    where it began, whether it is still open and the stock now). So an incremental build forgets
    each shelf's rows from the first day anything could have changed, and builds them again:

    - the first changed day: a day whose orders differ from the built rows (new, changed or gone
      lines of any of the shelf's series), a day whose empty stock snapshot arrived or went;
    - where a day gained or lost its only sale, moved back to the start of the zero-sale run that
      holds it, as built and as it is now (whichever is earlier): every run that reaches the
      forgotten days then starts among them, and every run before them is unchanged. Other
      changes leave the runs as they were: the build continues the run the day is in;
    - and the days that pass: a run still open at the built last day keeps its built days while
      the shelf is as empty (or not) as it was, since an open run's flag depends on nothing else
      (days_passed below); the build then continues that run from the kept rows (the model's
      `carried` runs). When the stock changed, the run is built again from its start.

    A shelf's rows then stop the day before its recompute_from, and the model builds each shelf
    from there (the day after its last kept row). -#}

{#- Ordered units, cancelled units and order lines per SKU, channel, location and JST day: of
    SKUs the catalogue knows at locations the business knows (the lines and orders of others are
    kept and flagged in fct_order_lines and fct_orders; they join the demand once the catalogue
    or seeds/inventory_locations.csv lists them, as a new shelf). -#}
{% macro demand_daily_by_series() -%}
    select
        order_lines.sku,
        orders.channel,
        orders.location_id,
        cast(timezone('Asia/Tokyo', orders.ordered_at) as date) as demand_date,
        -- sum() widens to a 128-bit integer; every reader sums these again, slower at that width
        cast(sum(order_lines.quantity) as bigint) as units_ordered,
        cast(sum(case when orders.cancelled_at is not null then order_lines.quantity else 0 end) as bigint)
            as units_cancelled,
        count(*) as order_lines
    from {{ ref('int_order_lines_unioned') }} as order_lines
    inner join {{ ref('int_orders_unioned') }} as orders on order_lines.order_key = orders.order_key
    where order_lines.is_sku_known and orders.is_location_known
    group by all
{%- endmacro %}

{#- Per built shelf, the first day whose row may differ from the built one (see above). -#}
{% macro demand_daily_recompute_from() -%}
    with

    now_daily as (
        {{ demand_daily_by_series() }}
    ),

    built_daily as (
        select sku, channel, location_id, demand_date, units_ordered, units_cancelled, order_lines
        from {{ this }}
        where order_lines > 0
    ),

    bounds as (
        select
            (select max(demand_date) from {{ this }}) as built_last,
            (select max(demand_date) from now_daily) as now_last
    ),

    -- days with a sale on the shelf, leaving wholesale out as the stock-out runs do
    now_sale_days as (
        select sku, location_id, demand_date
        from now_daily
        where channel != 'wholesale'
        group by all
        having sum(units_ordered) > 0
    ),

    built_sale_days as (
        select sku, location_id, demand_date
        from built_daily
        where channel != 'wholesale'
        group by all
        having sum(units_ordered) > 0
    ),

    now_first_days as (
        select sku, location_id, min(demand_date) as first_date
        from now_daily
        where channel != 'wholesale'
        group by all
    ),

    empty_snapshot_days as (
        select distinct
            sku,
            location_id,
            cast(timezone('Asia/Tokyo', snapshot_at) as date) as demand_date
        from {{ ref('stg_stock__snapshots') }}
        where on_hand = 0
    ),

    built_snapshot_days as (
        select distinct sku, location_id, demand_date
        from {{ this }}
        where stockout_evidence = 'snapshot'
    ),

    -- an empty snapshot counts on a day without a sale inside the shelf's days
    now_snapshot_days as (
        select empty_snapshot_days.*
        from empty_snapshot_days
        inner join now_first_days
            on
                empty_snapshot_days.sku = now_first_days.sku
                and empty_snapshot_days.location_id = now_first_days.location_id
        cross join bounds
        where
            empty_snapshot_days.demand_date >= now_first_days.first_date
            and empty_snapshot_days.demand_date <= bounds.now_last
            and not exists (
                select 1
                from now_sale_days
                where
                    now_sale_days.sku = empty_snapshot_days.sku
                    and now_sale_days.location_id = empty_snapshot_days.location_id
                    and now_sale_days.demand_date = empty_snapshot_days.demand_date
            )
    ),

    changed_days as (
        select
            coalesce(now_daily.sku, built_daily.sku) as sku,
            coalesce(now_daily.location_id, built_daily.location_id) as location_id,
            coalesce(now_daily.demand_date, built_daily.demand_date) as demand_date
        from now_daily
        full outer join built_daily
            on
                now_daily.sku = built_daily.sku
                and now_daily.channel = built_daily.channel
                and now_daily.location_id = built_daily.location_id
                and now_daily.demand_date = built_daily.demand_date
        where
            now_daily.units_ordered is distinct from built_daily.units_ordered
            or now_daily.units_cancelled is distinct from built_daily.units_cancelled
            or now_daily.order_lines is distinct from built_daily.order_lines
        union all
        (
            select * from now_snapshot_days
            except
            select * from built_snapshot_days
        )
        union all
        (
            select * from built_snapshot_days
            except
            select * from empty_snapshot_days
        )
    ),

    built_shelves as (
        select
            shelves.sku,
            shelves.location_id,
            last_sales.last_sale
        from (select distinct sku, location_id from built_daily) as shelves
        left join (
            select sku, location_id, max(demand_date) as last_sale
            from built_sale_days
            group by all
        ) as last_sales
            on shelves.sku = last_sales.sku and shelves.location_id = last_sales.location_id
    ),

    -- a shelf's built last run when no sale ended it: on its days without an empty snapshot a
    -- run still open is flagged 'zero_run' exactly when the stock showed none (the run began
    -- after a sale, so its rate is above zero), which tells how empty the shelf was then
    built_open_runs as (
        select
            built.sku,
            built.location_id,
            coalesce(bool_or(built.stockout_evidence = 'zero_run'), false) as was_empty,
            bool_or(built.stockout_evidence is distinct from 'snapshot') as is_known
        from {{ this }} as built
        inner join built_shelves
            on built.sku = built_shelves.sku and built.location_id = built_shelves.location_id
        where built.channel != 'wholesale' and built.demand_date > built_shelves.last_sale
        group by all
    ),

    -- the days that pass: after a last day with a sale, or in a run still open whose shelf is
    -- as empty (or not) as it was, the built days stay as they are and the build continues
    -- the run; otherwise the run is built again from its start (the stock now decides its flag)
    days_passed as (
        select
            built_shelves.sku,
            built_shelves.location_id,
            case
                when built_shelves.last_sale is null or built_shelves.last_sale = bounds.built_last
                    then bounds.built_last + 1
                -- (a run whose every built day had an empty snapshot flagged none by the stock)
                when
                    not built_open_runs.is_known
                    or built_open_runs.was_empty = (coalesce(stock.on_hand, 0) = 0)
                    then bounds.built_last + 1
                else built_shelves.last_sale + 1
            end as run_start
        from built_shelves
        cross join bounds
        left join built_open_runs
            on
                built_shelves.sku = built_open_runs.sku
                and built_shelves.location_id = built_open_runs.location_id
        left join {{ ref('int_stock_levels_unioned') }} as stock
            on built_shelves.sku = stock.sku and built_shelves.location_id = stock.location_id
    ),

    -- the sale days of the shelves with a changed day only: the ASOF joins below sort what they
    -- join to, and every shelf's sale days are ~1M rows at large whatever changed
    changed_shelves as (
        select distinct sku, location_id from changed_days
    ),

    changed_built_sale_days as (
        select built_sale_days.*
        from built_sale_days
        semi join changed_shelves
            on built_sale_days.sku = changed_shelves.sku and built_sale_days.location_id = changed_shelves.location_id
    ),

    changed_now_sale_days as (
        select now_sale_days.*
        from now_sale_days
        semi join changed_shelves
            on now_sale_days.sku = changed_shelves.sku and now_sale_days.location_id = changed_shelves.location_id
    ),

    -- where each changed day's rows are built from. A day that had a sale and has none, or the
    -- other way round, changes the runs around it: from the start of the zero-sale run that holds
    -- it (the day itself on a sale day; the shelf's first day when no sale came before it). Any
    -- other change (units on a day with a sale, an empty snapshot) changes that day and the
    -- trailing rates after it only: from the day itself, continuing the run it is in.
    run_starts as (
        select
            changed_days.sku,
            changed_days.location_id,
            case
                when
                    coalesce(built_sale_days.demand_date = changed_days.demand_date, false)
                    = coalesce(now_sale_days.demand_date = changed_days.demand_date, false)
                    then changed_days.demand_date
                else least(
                    coalesce(built_sale_days.demand_date + (built_sale_days.demand_date < changed_days.demand_date)::int, date '0001-01-01'),
                    coalesce(now_sale_days.demand_date + (now_sale_days.demand_date < changed_days.demand_date)::int, date '0001-01-01')
                )
            end as run_start
        from changed_days
        asof left join changed_built_sale_days as built_sale_days
            on
                changed_days.sku = built_sale_days.sku
                and changed_days.location_id = built_sale_days.location_id
                and changed_days.demand_date >= built_sale_days.demand_date
        asof left join changed_now_sale_days as now_sale_days
            on
                changed_days.sku = now_sale_days.sku
                and changed_days.location_id = now_sale_days.location_id
                and changed_days.demand_date >= now_sale_days.demand_date
        union all
        select * from days_passed
    ),

    shelf_recompute_from as (
        select
            sku,
            location_id,
            min(run_start) as recompute_from,
            -- a shelf whose orders are all gone: its rows go and no new ones come
            not exists (
                select 1
                from now_daily
                where now_daily.sku = run_starts.sku and now_daily.location_id = run_starts.location_id
            ) as is_gone
        from run_starts
        group by sku, location_id
    )

    select
        sku,
        location_id,
        case
            -- days taken away at the end (orders gone): build everything again
            when bounds.now_last < bounds.built_last then date '0001-01-01'
            -- a gone shelf's SKU is built again from there on every shelf, so that
            -- agg_demand_channel_daily, which builds a SKU again from its first rebuilt row,
            -- sums it without the gone shelf
            else least(
                recompute_from,
                min(case when is_gone then recompute_from end) over (partition by sku)
            )
        end as recompute_from
    from shelf_recompute_from
    cross join bounds
{%- endmacro %}

{#- An incremental build of agg_demand_channel_daily: per SKU, the first day of the
    fct_demand_daily rows built since the aggregate was (`_built_at`). -#}
{% macro demand_channel_daily_rebuild_from() -%}
    select
        sku,
        min(demand_date) as rebuild_from
    from {{ ref('fct_demand_daily') }}
    where {{ built_since_this_model('_built_at') }}
    group by sku
{%- endmacro %}

{#- The pre-hooks of an incremental build of agg_demand_channel_daily: forget each SKU's rows from
    the first day whose demand was built again, and the SKUs that have no demand left. -#}
{% macro demand_channel_daily_forget_changed() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as built
        using ({{ demand_channel_daily_rebuild_from() }}) as changed
        where built.sku = changed.sku and built.demand_date >= changed.rebuild_from;
        -- not in over the distinct SKUs: a correlated not exists hashed every demand row (0.6 s)
        delete from {{ this }} as built
        where built.sku not in (
            select distinct demand.sku from {{ ref('fct_demand_daily') }} as demand where demand.sku is not null
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- The pre-hook of an incremental build: forget each shelf's rows from its recompute_from. -#}
{% macro demand_daily_forget_changed() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as built
        using ({{ demand_daily_recompute_from() }}) as changed
        where
            built.sku = changed.sku
            and built.location_id = changed.location_id
            and built.demand_date >= changed.recompute_from
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
