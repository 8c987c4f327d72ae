-- Helpers for API responses that PostgreSQL serializes itself (the hot lists), so they read exactly like the
-- ones Node serializes: times as ISO 8601 in UTC with milliseconds, the form JavaScript's toISOString gives.

CREATE FUNCTION json_time(p_time timestamptz) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT to_char(p_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
