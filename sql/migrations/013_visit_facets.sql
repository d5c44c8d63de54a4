-- Visit facets (issue #18): one row per combination of a visit's own values per local hour,
-- so that the dashboard can filter by any of them, and by several at once, over any period:
-- each single-dimension aggregate (agg_referrers, agg_platforms, …) holds one dimension and
-- cannot be crossed with another. Visit-level values only (from the hit that started the
-- visit, as everywhere): channel and source, campaign name, browser, OS, device type,
-- country, entry page. What a visit *did* (pages viewed, events, goals) is not here: a row
-- per visit and page would be the raw data again (docs/aggregates.md, "Filters").
-- Measures as agg_platforms'. Days counted before this migration have no facets.
CREATE TABLE agg_visit_facets (
    site_id       integer NOT NULL,
    day           date NOT NULL,
    hour          timestamptz NOT NULL,  -- the instant the visit's local hour starts
    ref_type      text NOT NULL,
    ref_name      text NOT NULL,         -- '' none
    campaign      text NOT NULL,         -- the campaign's name, '' none
    browser       text NOT NULL,         -- '' not recognised
    os            text NOT NULL,
    device        text NOT NULL,
    country       text NOT NULL,
    entry_page    text NOT NULL,         -- '' no pageview
    visits        bigint NOT NULL,
    actions       bigint NOT NULL,
    pageviews     bigint NOT NULL,
    bounces       bigint NOT NULL,
    visit_seconds bigint NOT NULL,
    PRIMARY KEY (site_id, day, hour, ref_type, ref_name, campaign, browser, os, device,
                 country, entry_page)
) WITH (fillfactor = 90);

-- What visits did, with the same visit values: a row per (kind, value) a visit did at least
-- once on its first day — viewed a page ('page', its path), sent an event of a category
-- ('event', the category), converted a goal ('goal', its id) — so that a filter by one of
-- them combines with the visit values over any period: "the visits that viewed /news".
-- Measures are those visits' own (visits, their actions, …), as in agg_visit_facets. The
-- roll-up's MERGE and the fold find rows by the primary key (site and day first), a filter
-- by agg_visit_actions_value.
-- Two such filters at once (a page and an event) need the visits that did both: raw hits.
CREATE TABLE agg_visit_actions (
    site_id       integer NOT NULL,
    day           date NOT NULL,
    kind          text NOT NULL,         -- 'page', 'event', 'goal'
    value         text NOT NULL,
    hour          timestamptz NOT NULL,
    ref_type      text NOT NULL,
    ref_name      text NOT NULL,
    campaign      text NOT NULL,
    browser       text NOT NULL,
    os            text NOT NULL,
    device        text NOT NULL,
    country       text NOT NULL,
    entry_page    text NOT NULL,
    visits        bigint NOT NULL,
    actions       bigint NOT NULL,
    pageviews     bigint NOT NULL,
    bounces       bigint NOT NULL,
    visit_seconds bigint NOT NULL,
    PRIMARY KEY (site_id, day, kind, value, hour, ref_type, ref_name, campaign, browser, os,
                 device, country, entry_page)
) WITH (fillfactor = 90);
-- A filter reads one value's rows of the period (by the primary key it would read every
-- value's rows of every day in it: all of the roll-up's rows of those days).
CREATE INDEX agg_visit_actions_value ON agg_visit_actions (site_id, kind, value, day);
