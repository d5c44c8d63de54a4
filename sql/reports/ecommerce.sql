-- ecommerce: orders, revenue and carts of one site over a period (one row).
-- $1 site id, $2 first day, $3 last day (inclusive; local days).
--
-- Orders: idgoal=0 with ec_id; an order repeating an earlier one of its visit (same totals and
-- items: a reloaded thank-you page) counts once, as ec_id is never stored. revenue, subtotal,
-- tax, shipping, discount: sums of what the orders sent; items: quantities. visits_converted:
-- per day, the visits with an order; conversion_rate of all visits. Cart updates: idgoal=0
-- without ec_id. Abandoned carts: visits whose last ecommerce request was a cart update, with
-- that cart's total.
WITH kinds AS (
    SELECT kind, sum(hits) AS hits, sum(visits) AS visits, sum(revenue) AS revenue,
           sum(subtotal) AS subtotal, sum(tax) AS tax, sum(shipping) AS shipping,
           sum(discount) AS discount, sum(items) AS items
    FROM agg_ecommerce
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
    GROUP BY kind
), visits AS (
    SELECT sum(visits) AS visits
    FROM agg_site_hours
    WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
)
SELECT coalesce(o.hits, 0)::bigint AS orders, coalesce(o.revenue, 0) AS revenue,
       coalesce(o.subtotal, 0) AS subtotal, coalesce(o.tax, 0) AS tax,
       coalesce(o.shipping, 0) AS shipping, coalesce(o.discount, 0) AS discount,
       coalesce(o.items, 0)::bigint AS items,
       round(o.revenue / nullif(o.hits, 0), 2) AS avg_order_value,
       coalesce(o.visits, 0)::bigint AS visits_converted,
       round(100.0 * coalesce(o.visits, 0) / nullif(v.visits, 0), 1) AS conversion_rate,
       coalesce(c.hits, 0)::bigint AS cart_updates,
       coalesce(a.hits, 0)::bigint AS abandoned_carts,
       coalesce(a.revenue, 0) AS abandoned_revenue
FROM visits v
LEFT JOIN kinds o ON o.kind = 'order'
LEFT JOIN kinds c ON c.kind = 'cart_update'
LEFT JOIN kinds a ON a.kind = 'abandoned_cart';
