-- Every table (not a partition: deleting from the parent reaches those) with a session_id
-- column, and whether it has site_id too: what DELETE /privacy/me erases from. Found in the
-- catalog so that a table another module adds later is erased without changing this code.
SELECT c.relname AS table_name,
       bool_or(a.attname = 'site_id') AS has_site_id
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = current_schema()
  AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition
GROUP BY c.relname
HAVING bool_or(a.attname = 'session_id' AND a.atttypid = 'uuid'::regtype)
ORDER BY c.relname
