-- products: what orders held, by SKU, name and category (from ec_items), most revenue first.
-- $1 site id, $2 first day, $3 last day (inclusive; local days), $4 row limit.
-- revenue: price x quantity; orders: orders with the product; visits: per day, the visits that
-- ordered it. "(others)": products in too few visits of a day whose raw data is gone.
SELECT sku, nullif(name, '') AS name, nullif(category, '') AS category,
       sum(quantity)::bigint AS quantity, sum(revenue) AS revenue,
       round(sum(revenue) / nullif(sum(quantity), 0), 2) AS avg_price,
       sum(orders)::bigint AS orders, sum(visits)::bigint AS visits
FROM agg_products
WHERE site_id = $1 AND day BETWEEN $2::date AND $3::date
GROUP BY sku, name, category
HAVING sum(orders) > 0
ORDER BY revenue DESC, quantity DESC, sku COLLATE "C", name COLLATE "C", category COLLATE "C"
LIMIT $4;
