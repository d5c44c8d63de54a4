-- Replay of spill files (collector/storage/spill.py): how many bytes of each file are in
-- `hits` already. Advanced in the same transaction as the COPY of those hits, so a replay
-- that is interrupted (crash, kill, lost connection) resumes exactly after the last batch
-- that committed: no hit is written twice, none skipped.
CREATE TABLE spill_replay (
    spill_name     text PRIMARY KEY,
    replayed_bytes bigint NOT NULL CHECK (replayed_bytes >= 0),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Move a file's offset from p_from to p_to; false when someone else moved it first (then the
-- caller's transaction must roll back and re-read the offset).
CREATE FUNCTION spill_advance(p_name text, p_from bigint, p_to bigint)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF p_from = 0 THEN
        INSERT INTO spill_replay (spill_name, replayed_bytes) VALUES (p_name, p_to)
        ON CONFLICT (spill_name) DO NOTHING;
        IF FOUND THEN
            RETURN true;
        END IF;
    END IF;
    UPDATE spill_replay SET replayed_bytes = p_to, updated_at = now()
    WHERE spill_name = p_name AND replayed_bytes = p_from;
    RETURN FOUND;
END
$$;
