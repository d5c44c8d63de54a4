-- The day is folded: its raw rows are gone, and nothing adds to it any more.
WITH marked AS (
    INSERT INTO usage_folded_days (site_id, day) VALUES (:site, :day) ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT 0;
