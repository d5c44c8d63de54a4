-- Reference: products. $1 site, $2 first, $3 last day, $4 limit.
WITH hits AS (
    SELECT (v.hit).session_id, v.visit_no, v.tie, (v.hit).ts, (v.hit).action, (v.hit).revenue,
           (v.hit).ec_subtotal, (v.hit).ec_tax, (v.hit).ec_shipping, (v.hit).ec_discount,
           (v.hit).ec_items, ((v.hit).ts AT TIME ZONE v.tz)::date AS day
    FROM pg_temp.visit_hits($1) v
), orders AS (
    SELECT * FROM (
        SELECT h.*, row_number() OVER (PARTITION BY session_id, visit_no, revenue, ec_subtotal,
                                                    ec_tax, ec_shipping, ec_discount, ec_items
                                       ORDER BY ts, tie) AS nth
        FROM hits h WHERE action = 'order') o
    WHERE nth = 1 AND day BETWEEN $2::date AND $3::date AND ec_items IS NOT NULL
), lines AS (
    SELECT o.session_id, o.visit_no, o.day, o.ts, o.tie, e ->> 0 AS sku, e ->> 1 AS name,
           e ->> 2 AS category, (e ->> 3)::numeric AS price, (e ->> 4)::bigint AS quantity
    FROM orders o CROSS JOIN LATERAL jsonb_array_elements(o.ec_items) e
), per_day AS (
    -- an order is its hit: tie (ctid) alone repeats across the hourly partitions, ts picks one
    SELECT day, sku, name, category, sum(quantity) AS quantity, sum(price * quantity) AS revenue,
           count(DISTINCT (session_id, visit_no, ts, tie)) AS orders,
           count(DISTINCT (session_id, visit_no)) AS visits
    FROM lines GROUP BY day, sku, name, category
)
SELECT sku, nullif(name, '') AS name, nullif(category, '') AS category,
       sum(quantity)::bigint AS quantity, sum(revenue) AS revenue,
       round(sum(revenue) / nullif(sum(quantity), 0), 2) AS avg_price,
       sum(orders)::bigint AS orders, sum(visits)::bigint AS visits
FROM per_day GROUP BY sku, name, category
ORDER BY revenue DESC, quantity DESC, sku COLLATE "C", name COLLATE "C", category COLLATE "C"
LIMIT $4;
