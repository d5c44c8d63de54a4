-- Ecommerce per day: orders (repeats left out, 46_orders.sql), cart updates, and abandoned
-- carts: visits whose last ecommerce request was a cart update, counted on that update's day
-- with its total and items (as Matomo's abandoned carts). Items are quantities summed.
WITH items AS (
    SELECT r.*, (SELECT coalesce(sum((e ->> 4)::bigint), 0)
                 FROM jsonb_array_elements(coalesce(r.ec_items, '[]')) e) AS quantity
    FROM r_orders r
), carts AS (
    SELECT v.sign, v.site_id, v.session_id, v.segment, v.day, v.action,
           coalesce(v.revenue::numeric, 0) AS revenue,
           (SELECT coalesce(sum((e ->> 4)::bigint), 0)
            FROM jsonb_array_elements(coalesce(v.ec_items, '[]')) e) AS quantity,
           row_number() OVER (PARTITION BY v.sign, v.site_id, v.session_id, v.segment
                              ORDER BY v.ts DESC, v.tie DESC) AS from_last
    FROM r_vhits v
    WHERE v.action IN ('order', 'cart_update')
), per_visit AS (
    SELECT sign, site_id, day, 'order' AS kind, count(*) AS hits, sum(revenue) AS revenue,
           sum(subtotal) AS subtotal, sum(tax) AS tax, sum(shipping) AS shipping,
           sum(discount) AS discount, sum(quantity) AS items
    FROM items GROUP BY sign, site_id, session_id, segment, day
    UNION ALL
    SELECT sign, site_id, day, 'cart_update', count(*), sum(revenue), 0, 0, 0, 0, sum(quantity)
    FROM carts WHERE action = 'cart_update' GROUP BY sign, site_id, session_id, segment, day
    UNION ALL
    SELECT sign, site_id, day, 'abandoned_cart', 1, revenue, 0, 0, 0, 0, quantity
    FROM carts WHERE from_last = 1 AND action = 'cart_update'
)
MERGE INTO agg_ecommerce a
USING (
    SELECT site_id, day, kind, sum(sign * hits) AS hits, sum(sign) AS visits,
           sum(sign * revenue) AS revenue, sum(sign * subtotal) AS subtotal,
           sum(sign * tax) AS tax, sum(sign * shipping) AS shipping,
           sum(sign * discount) AS discount, sum(sign * items) AS items
    FROM per_visit
    GROUP BY site_id, day, kind
    HAVING sum(sign * hits) <> 0 OR sum(sign) <> 0 OR sum(sign * revenue) <> 0
        OR sum(sign * subtotal) <> 0 OR sum(sign * tax) <> 0 OR sum(sign * shipping) <> 0
        OR sum(sign * discount) <> 0 OR sum(sign * items) <> 0
) d
ON a.site_id = d.site_id AND a.day = d.day AND a.kind = d.kind
WHEN MATCHED AND a.hits + d.hits = 0 AND a.visits + d.visits = 0 AND a.revenue + d.revenue = 0
             AND a.subtotal + d.subtotal = 0 AND a.tax + d.tax = 0
             AND a.shipping + d.shipping = 0 AND a.discount + d.discount = 0
             AND a.items + d.items = 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET
    hits = a.hits + d.hits, visits = a.visits + d.visits, revenue = a.revenue + d.revenue,
    subtotal = a.subtotal + d.subtotal, tax = a.tax + d.tax, shipping = a.shipping + d.shipping,
    discount = a.discount + d.discount, items = a.items + d.items
WHEN NOT MATCHED THEN INSERT (site_id, day, kind, hits, visits, revenue, subtotal, tax,
                              shipping, discount, items)
    VALUES (d.site_id, d.day, d.kind, d.hits, d.visits, d.revenue, d.subtotal, d.tax,
            d.shipping, d.discount, d.items);
