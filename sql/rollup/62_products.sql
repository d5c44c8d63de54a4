-- Products of orders (repeats left out, 46_orders.sql), by SKU, name and category from
-- ec_items: quantity, revenue (price x quantity), orders with the product, visits with it that
-- day.
WITH lines AS (
    SELECT r.sign, r.site_id, r.session_id, r.segment, r.day, e ->> 0 AS sku, e ->> 1 AS name,
           e ->> 2 AS category, (e ->> 3)::numeric AS price, (e ->> 4)::bigint AS quantity,
           r.ctid AS order_row
    FROM r_orders r
    CROSS JOIN LATERAL jsonb_array_elements(r.ec_items) e
    WHERE r.ec_items IS NOT NULL
), per_visit AS (
    SELECT sign, site_id, day, sku, name, category, sum(quantity) AS quantity,
           sum(price * quantity) AS revenue, count(DISTINCT order_row) AS orders
    FROM lines
    GROUP BY sign, site_id, session_id, segment, day, sku, name, category
)
MERGE INTO agg_products a
USING (
    SELECT site_id, day, sku, name, category, sum(sign * quantity) AS quantity,
           sum(sign * revenue) AS revenue, sum(sign * orders) AS orders, sum(sign) AS visits
    FROM per_visit
    GROUP BY site_id, day, sku, name, category
    HAVING sum(sign * quantity) <> 0 OR sum(sign * revenue) <> 0 OR sum(sign * orders) <> 0
        OR sum(sign) <> 0
) d
ON a.site_id = d.site_id AND a.day = d.day AND a.sku = d.sku AND a.name = d.name
   AND a.category = d.category
WHEN MATCHED AND a.quantity + d.quantity = 0 AND a.revenue + d.revenue = 0
             AND a.orders + d.orders = 0 AND a.visits + d.visits = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET
    quantity = a.quantity + d.quantity, revenue = a.revenue + d.revenue,
    orders = a.orders + d.orders, visits = a.visits + d.visits
WHEN NOT MATCHED THEN INSERT (site_id, day, sku, name, category, quantity, revenue, orders,
                              visits)
    VALUES (d.site_id, d.day, d.sku, d.name, d.category, d.quantity, d.revenue, d.orders,
            d.visits);
