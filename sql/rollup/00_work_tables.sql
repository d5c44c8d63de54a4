-- The roll-up's work tables: temporary (this connection only), emptied at every commit, so
-- session ids never outlive the transaction that uses them. Created once per connection,
-- not per run: creating and dropping tables every 15 seconds would churn the catalog.
CREATE TEMP TABLE IF NOT EXISTS r_touched (
    site_id   integer NOT NULL,
    session_id uuid NOT NULL,
    first_new timestamptz NOT NULL      -- the earliest of the session's new hits
) ON COMMIT DELETE ROWS;

CREATE TEMP TABLE IF NOT EXISTS r_sessions (
    site_id    integer NOT NULL,
    session_id uuid NOT NULL,
    run_start  timestamptz NOT NULL     -- derive the session's visits again from here on
) ON COMMIT DELETE ROWS;

CREATE TEMP TABLE IF NOT EXISTS r_hits (
    site_id          integer NOT NULL,
    session_id       uuid NOT NULL,
    ts               timestamptz NOT NULL,
    tie              tid NOT NULL,      -- orders hits of the same instant, the same every run
    old              boolean NOT NULL,  -- was in the aggregates already (arrived before)
    action           text NOT NULL,
    new_visit        boolean NOT NULL,
    continues_visit  boolean NOT NULL,
    page             text,              -- pageviews only, as title
    title            text,
    target           text,
    ref_type         text NOT NULL,
    ref_name         text NOT NULL,
    campaign_name    text,
    campaign_source  text NOT NULL,
    campaign_medium  text NOT NULL,
    campaign_keyword text NOT NULL,
    campaign_content text NOT NULL,
    search_keyword   text,
    search_count     integer,
    event_category   text,
    event_action     text,
    event_name       text NOT NULL,
    event_value      double precision,
    browser          text NOT NULL,
    os               text NOT NULL,
    device           text NOT NULL,
    -- issue #16 (appended): goals converted, ecommerce, content, page timings, dimensions
    goals            jsonb,
    revenue          double precision,
    ec_subtotal      double precision,
    ec_tax           double precision,
    ec_shipping      double precision,
    ec_discount      double precision,
    ec_items         jsonb,
    content_name     text,
    content_piece    text NOT NULL,
    content_target   text NOT NULL,     -- without query string and fragment
    pf_net           integer,
    pf_srv           integer,
    pf_tfr           integer,
    pf_dm1           integer,
    pf_dm2           integer,
    pf_onl           integer,
    dimensions       jsonb,
    -- issue #17 (appended): visit-level, read from the start hit
    country          text NOT NULL,
    region           text NOT NULL,
    resolution       text NOT NULL,
    lang             text NOT NULL
) ON COMMIT DELETE ROWS;

-- The hits of every visit, twice: as the aggregates hold them (sign -1, to subtract) and as
-- they are now (sign +1, to add). A visit is (sign, site_id, session_id, segment). Narrow:
-- visit-level values are read from r_hits for the one hit that started each visit.
CREATE TEMP TABLE IF NOT EXISTS r_vhits (
    sign           smallint NOT NULL,
    site_id        integer NOT NULL,
    session_id     uuid NOT NULL,
    segment        bigint NOT NULL,
    tie            tid NOT NULL,
    counted        boolean NOT NULL,    -- false: continues a visit of a day rolled up before 007
    started_at     timestamptz NOT NULL,
    is_start       boolean NOT NULL,    -- the hit that started the visit
    ts             timestamptz NOT NULL,
    day            date NOT NULL,       -- the hit's local day, in the zone of the visit
    hour           timestamptz NOT NULL,
    start_day      date NOT NULL,
    action         text NOT NULL,
    page           text,
    title          text,
    target         text,
    search_keyword text,
    search_count   integer,
    event_category text,
    event_action   text,
    event_name     text NOT NULL,
    event_value    double precision,
    -- issue #16 (appended): goals converted, ecommerce, content, page timings, dimensions
    goals            jsonb,
    revenue          double precision,
    ec_subtotal      double precision,
    ec_tax           double precision,
    ec_shipping      double precision,
    ec_discount      double precision,
    ec_items         jsonb,
    content_name     text,
    content_piece    text NOT NULL,
    content_target   text NOT NULL,
    pf_net           integer,
    pf_srv           integer,
    pf_tfr           integer,
    pf_dm1           integer,
    pf_dm2           integer,
    pf_onl           integer,
    dimensions       jsonb
) ON COMMIT DELETE ROWS;

-- One row per visit (and sign): its measures over its hits of the day it started.
CREATE TEMP TABLE IF NOT EXISTS r_visits (
    sign             smallint NOT NULL,
    site_id          integer NOT NULL,
    session_id       uuid NOT NULL,
    segment          bigint NOT NULL,
    day              date NOT NULL,
    hour             timestamptz NOT NULL,
    actions          bigint NOT NULL,
    pageviews        bigint NOT NULL,
    seconds          bigint NOT NULL,
    entry_page       text,
    exit_page        text,
    ref_type         text NOT NULL,
    ref_name         text NOT NULL,
    campaign_name    text,
    campaign_source  text NOT NULL,
    campaign_medium  text NOT NULL,
    campaign_keyword text NOT NULL,
    campaign_content text NOT NULL,
    browser          text NOT NULL,
    os               text NOT NULL,
    device           text NOT NULL,
    country          text NOT NULL,
    region           text NOT NULL,
    resolution       text NOT NULL,
    lang             text NOT NULL,
    started_at       timestamptz NOT NULL   -- issue #18 (appended): finds its raw_visits row
) ON COMMIT DELETE ROWS;

-- Orders of every visit (and sign), an order that repeats an earlier one of its visit (same
-- totals and items: a reloaded thank-you page) left out: 46_orders.sql. ec_id, which would
-- tell them apart, is never stored (P3).
CREATE TEMP TABLE IF NOT EXISTS r_orders (
    sign        smallint NOT NULL,
    site_id     integer NOT NULL,
    session_id  uuid NOT NULL,
    segment     bigint NOT NULL,
    day         date NOT NULL,
    revenue     numeric NOT NULL,
    subtotal    numeric NOT NULL,
    tax         numeric NOT NULL,
    shipping    numeric NOT NULL,
    discount    numeric NOT NULL,
    ec_items    jsonb
) ON COMMIT DELETE ROWS;
