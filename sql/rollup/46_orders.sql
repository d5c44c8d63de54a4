-- Ecommerce orders of every visit (and sign). matomo.js sends an order again when its thank-you
-- page is reloaded; Matomo refuses the repeat by its order number (ec_id), which is never
-- stored here (it would link the visit to a customer record, P3). An order with the same
-- totals and items as an earlier one of its visit is that repeat, and is left out: one order
-- per visit and content. (Two different orders alike in every amount and item, in one visit,
-- count as one.) The first by time, then row position, as every run orders them.
INSERT INTO r_orders
SELECT sign, site_id, session_id, segment, day, coalesce(revenue::numeric, 0),
       coalesce(ec_subtotal::numeric, 0), coalesce(ec_tax::numeric, 0),
       coalesce(ec_shipping::numeric, 0), coalesce(ec_discount::numeric, 0), ec_items
FROM (
    SELECT v.*, row_number() OVER (PARTITION BY sign, site_id, session_id, segment, revenue,
                                                ec_subtotal, ec_tax, ec_shipping, ec_discount,
                                                ec_items
                                   ORDER BY ts, tie) AS nth
    FROM r_vhits v
    WHERE action = 'order'
) o
WHERE nth = 1;
