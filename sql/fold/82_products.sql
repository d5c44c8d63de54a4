-- A rare product (SKU, name, category) is folded whole into ('(others)', '', ''): names can be
-- as telling as search terms in a small shop.
WITH gone AS (
    DELETE FROM agg_products
    WHERE site_id = :site AND day = :day AND visits < :min_count
      AND NOT (sku = '(others)' AND name = '' AND category = '')
    RETURNING *
), folded AS (
    INSERT INTO agg_products AS a (site_id, day, sku, name, category, quantity, revenue, orders,
                                   visits)
    SELECT :site, :day, '(others)', '', '', sum(quantity), sum(revenue), sum(orders),
           sum(visits)
    FROM gone HAVING count(*) > 0
    ON CONFLICT (site_id, day, sku, name, category) DO UPDATE SET
        quantity = a.quantity + excluded.quantity, revenue = a.revenue + excluded.revenue,
        orders = a.orders + excluded.orders, visits = a.visits + excluded.visits
    RETURNING 1
)
SELECT count(*) FROM gone;
