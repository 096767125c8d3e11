-- noqa: disable=LT02
{#- Shopify writes an amount twice: `<field>_set.shop_money.amount` in the shop's currency (next
    to the buyer's presentment money, never read) and the legacy `<field>`, also in the shop's
    currency, which older records may carry alone. Whole yen, as json_money reads it. -#}
{% macro shopify_money(document, field, default=none) -%}
    coalesce(
        {{ json_money(document, '$.' ~ field ~ '_set.shop_money.amount') }},
        {{ json_money(document, '$.' ~ field) }}{% if default is not none %}, {{ default }}{% endif %}
    )
{%- endmacro %}

{#- An amount with its tax in the shop's currency: `amount_field`, plus `tax_field` where the shop's
    prices exclude tax (`taxes_included`, a boolean column); a refund line is (subtotal,
    total_tax), an order adjustment (amount, tax_amount). -#}
{% macro shopify_money_with_tax(document, amount_field, tax_field, taxes_included) -%}
    {{ shopify_money(document, amount_field, 0) }}
    + case when {{ taxes_included }} then 0 else {{ shopify_money(document, tax_field, 0) }} end
{%- endmacro %}
