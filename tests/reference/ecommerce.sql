-- Reference: ecommerce. $1 site, $2 first, $3 last day.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.tie, v.visit_start, (v.hit).ts, (v.hit).action,
           (v.hit).revenue, (v.hit).ec_subtotal, (v.hit).ec_tax, (v.hit).ec_shipping,
           (v.hit).ec_discount, (v.hit).ec_items, ((v.hit).ts AT TIME ZONE v.tz)::date AS day,
           (SELECT coalesce(sum((e ->> 4)::bigint), 0)
            FROM jsonb_array_elements(coalesce((v.hit).ec_items, '[]')) e) AS quantity
    FROM pg_temp.visit_hits($1) v
), orders AS (
    SELECT * FROM (
        SELECT h.*, row_number() OVER (PARTITION BY session_id, visit_no, revenue, ec_subtotal,
                                                    ec_tax, ec_shipping, ec_discount, ec_items
                                       ORDER BY ts, tie) AS nth
        FROM hits h WHERE action = 'order') o
    WHERE nth = 1 AND day BETWEEN $2::date AND $3::date
), last_ecommerce AS (
    SELECT * FROM (
        SELECT h.*, row_number() OVER (PARTITION BY session_id, visit_no
                                       ORDER BY ts DESC, tie DESC) AS from_last
        FROM hits h WHERE action IN ('order', 'cart_update')) l
    WHERE from_last = 1 AND action = 'cart_update' AND day BETWEEN $2::date AND $3::date
), o AS (
    SELECT count(*) AS orders, coalesce(sum(revenue::numeric), 0) AS revenue,
           coalesce(sum(ec_subtotal::numeric), 0) AS subtotal,
           coalesce(sum(ec_tax::numeric), 0) AS tax,
           coalesce(sum(ec_shipping::numeric), 0) AS shipping,
           coalesce(sum(ec_discount::numeric), 0) AS discount, coalesce(sum(quantity), 0) AS items,
           (SELECT count(*) FROM (SELECT DISTINCT session_id, visit_no, day FROM orders) d)
               AS visits
    FROM orders
), visits AS (
    SELECT count(*) AS visits FROM hits WHERE visit_start AND day BETWEEN $2::date AND $3::date
)
SELECT o.orders::bigint AS orders, o.revenue, o.subtotal, o.tax, o.shipping, o.discount,
       o.items::bigint AS items,
       round(o.revenue / nullif(o.orders, 0), 2) AS avg_order_value,
       o.visits::bigint AS visits_converted,
       round(100.0 * o.visits / nullif(v.visits, 0), 1) AS conversion_rate,
       (SELECT count(*) FROM hits WHERE action = 'cart_update'
          AND day BETWEEN $2::date AND $3::date)::bigint AS cart_updates,
       (SELECT count(*) FROM last_ecommerce)::bigint AS abandoned_carts,
       (SELECT coalesce(sum(revenue::numeric), 0) FROM last_ecommerce) AS abandoned_revenue
FROM o, visits v;
