-- The usage roll-up's work table: the new rows of this run with their local day and hour.
-- Temporary and emptied at every commit; created once per connection.
CREATE TEMP TABLE IF NOT EXISTS u_rows (
    site_id   integer NOT NULL,
    day       date NOT NULL,
    hour      timestamptz NOT NULL,
    ip_prefix inet,
    path      text NOT NULL,
    status    smallint NOT NULL,
    bytes     bigint NOT NULL,
    referrer  text NOT NULL,   -- '' for none
    browser   text NOT NULL,   -- '' when not recognised
    os        text NOT NULL,
    bot       boolean NOT NULL
) ON COMMIT DELETE ROWS;
