-- Rollups maintained asynchronously. Storing a reading used to update its 1-minute and hourly rollup rows in the
-- same statement (two ON CONFLICT DO UPDATE per series per batch, the same rows rewritten again and again). Now a
-- write stores the raw rows and records the (series, minute) buckets it touched in telemetry_dirty, in the same
-- transaction; telemetry_rollup_dirty() recomputes those buckets from the raw rows a moment later, and readers
-- take dirty buckets from the raw rows (telemetry_minutes, telemetry_hours), so a trend is never stale and never
-- counts a reading twice: in any one snapshot a bucket is either dirty (read raw) or rolled up (read the rollup).

-- One row per write that touched a bucket, never updated: a job deletes only the rows its snapshot saw, so a key
-- recorded by a transaction still running when the job read the table stays for the next run.
CREATE TABLE telemetry_dirty (
  series_id integer NOT NULL,
  bucket    timestamptz NOT NULL
);
CREATE INDEX telemetry_dirty_key_idx ON telemetry_dirty (series_id, bucket);

ALTER TABLE telemetry_dirty ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON telemetry_dirty
  USING (series_id IN (SELECT id FROM series WHERE tenant_id = app_tenant_id()))
  WITH CHECK (series_id IN (SELECT id FROM series WHERE tenant_id = app_tenant_id()));
-- Writers record keys and readers look them up; only the job (as owner) deletes them.
GRANT SELECT, INSERT ON telemetry_dirty TO tidewatch_app;

-- Recomputes the 1-minute rollup of the given (series, minute) keys from the raw rows, then the hourly rollup
-- of their hours from the 1-minute rows. Upserts only: a bucket whose raw rows retention has removed keeps its
-- rollup. A minute older than the oldest 1-minute partition (retention dropped its month; a late reading can
-- still land in raw) is left out rather than failing the run, and every key after it, for good. Runs as the
-- caller; the job and the rebuild call it with the owner's rights.
CREATE FUNCTION telemetry_recompute(p_series_ids integer[], p_buckets timestamptz[]) RETURNS void
  LANGUAGE sql VOLATILE
  AS $$
    INSERT INTO telemetry_1m AS m (series_id, bucket, min, max, sum, count, first, first_time, last, last_time)
    SELECT t.series_id, k.bucket, min(t.value), max(t.value), sum(t.value), count(*),
           (array_agg(t.value ORDER BY t.time))[1], min(t.time),
           (array_agg(t.value ORDER BY t.time DESC))[1], max(t.time)
      FROM (SELECT DISTINCT * FROM unnest(p_series_ids, p_buckets) AS u (series_id, bucket)) k
      JOIN telemetry t ON t.series_id = k.series_id AND t.time >= k.bucket AND t.time < k.bucket + interval '1 minute'
     WHERE k.bucket >= (SELECT min(p.starts) FROM telemetry_partitions() p WHERE p.tier = 'telemetry_1m')
     GROUP BY t.series_id, k.bucket
    ON CONFLICT (series_id, bucket) DO UPDATE SET
      min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count,
      first = excluded.first, first_time = excluded.first_time, last = excluded.last, last_time = excluded.last_time;

    INSERT INTO telemetry_1h AS h (series_id, bucket, min, max, sum, count, first, first_time, last, last_time)
    SELECT m.series_id, k.hour, min(m.min), max(m.max), sum(m.sum), sum(m.count),
           (array_agg(m.first ORDER BY m.first_time))[1], min(m.first_time),
           (array_agg(m.last ORDER BY m.last_time DESC))[1], max(m.last_time)
      FROM (SELECT DISTINCT u.series_id, date_trunc('hour', u.bucket) AS hour
              FROM unnest(p_series_ids, p_buckets) AS u (series_id, bucket)) k
      JOIN telemetry_1m m ON m.series_id = k.series_id AND m.bucket >= k.hour AND m.bucket < k.hour + interval '1 hour'
     GROUP BY m.series_id, k.hour
    ON CONFLICT (series_id, bucket) DO UPDATE SET
      min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count,
      first = excluded.first, first_time = excluded.first_time, last = excluded.last, last_time = excluded.last_time;
  $$;

-- Moves the readings of the session's telemetry_stage (loaded by COPY; the caller stages each (series, time) once)
-- into telemetry, skipping re-sent ones, and records the buckets touched. Returns nothing when every staged
-- reading was new (the usual case), else the staged readings that were not (already stored, or stored meanwhile
-- by another transaction), so the caller hands on exactly the new ones without reading every row back. Empties
-- the stage for the next tenant of the same transaction. Runs as the caller: row-level security decides which
-- series may be written.
CREATE FUNCTION telemetry_store_staged()
  RETURNS TABLE (series_id integer, "time" timestamptz)
  LANGUAGE plpgsql VOLATILE
  AS $$
  #variable_conflict use_column
  DECLARE
    bad record;
    staged bigint;
    inserted bigint;
  BEGIN
    -- The limits of telemetry_tiny_values: within them no rollup sum or mean can overflow or underflow.
    SELECT s.series_id, s.value INTO bad
      FROM telemetry_stage s
     WHERE NOT (abs(s.value) <= 1e100::float8 AND (s.value = 0 OR abs(s.value) >= 1e-100::float8))
     LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'reading % of series % is not zero or a finite number of magnitude 1e-100 to 1e100',
        bad.value, bad.series_id
        USING ERRCODE = 'numeric_value_out_of_range';
    END IF;
    INSERT INTO telemetry (series_id, time, value)
    SELECT s.series_id, s.time, s.value FROM telemetry_stage s
    ON CONFLICT (series_id, time) DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    SELECT count(*) INTO staged FROM telemetry_stage;
    IF inserted > 0 THEN
      INSERT INTO telemetry_dirty (series_id, bucket)
      SELECT DISTINCT s.series_id, date_trunc('minute', s.time) FROM telemetry_stage s;
    END IF;
    IF inserted < staged THEN
      -- A row this transaction inserted carries its id; no savepoint is involved, so no subtransaction id.
      RETURN QUERY
      SELECT s.series_id, s.time
        FROM telemetry_stage s
        JOIN telemetry t ON t.series_id = s.series_id AND t.time = s.time
       WHERE t.xmin <> pg_current_xact_id()::xid;
    END IF;
    DELETE FROM telemetry_stage;
  END
  $$;

-- The rollup job: recomputes up to p_limit dirty buckets and forgets them, in one transaction. One leader at a
-- time across instances (the others return -1 at once). The keys are deleted before the raw rows are read, so
-- under READ COMMITTED the recomputation sees every reading whose key it deleted. Returns the buckets done.
CREATE FUNCTION telemetry_rollup_dirty(p_limit integer) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    series_ids integer[];
    buckets timestamptz[];
  BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('tidewatch.telemetry_rollup')) THEN
      RETURN -1;
    END IF;
    WITH picked AS (
      SELECT DISTINCT d.series_id, d.bucket FROM telemetry_dirty d ORDER BY d.series_id, d.bucket LIMIT p_limit
    ),
    gone AS (
      DELETE FROM telemetry_dirty d USING picked p
       WHERE d.series_id = p.series_id AND d.bucket = p.bucket
      RETURNING d.series_id, d.bucket
    )
    SELECT array_agg(g.series_id), array_agg(g.bucket) INTO series_ids, buckets
      FROM (SELECT DISTINCT * FROM gone) g;
    IF series_ids IS NULL THEN
      RETURN 0;
    END IF;
    PERFORM telemetry_recompute(series_ids, buckets);
    RETURN cardinality(series_ids);
  END
  $$;

-- Rebuilds both rollups over a range (widened to whole hours) from the raw rows, for every series or some:
-- after a bulk load that bypassed telemetry_store_staged, or to repair. Waits for the job's lock.
CREATE FUNCTION telemetry_rebuild_range(p_from timestamptz, p_to timestamptz, p_series_ids integer[] DEFAULT NULL)
  RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    range_start timestamptz := date_trunc('hour', p_from);
    range_end timestamptz := date_trunc('hour', p_to) + interval '1 hour';
    series_ids integer[];
    buckets timestamptz[];
  BEGIN
    IF p_to < p_from OR p_to - p_from > interval '3660 days' THEN
      RAISE EXCEPTION 'rebuild range % .. % is not plausible', p_from, p_to;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('tidewatch.telemetry_rollup'));
    DELETE FROM telemetry_dirty
     WHERE (p_series_ids IS NULL OR series_id = ANY (p_series_ids)) AND bucket >= range_start AND bucket < range_end;
    SELECT array_agg(k.series_id), array_agg(k.bucket) INTO series_ids, buckets
      FROM (SELECT DISTINCT t.series_id, date_trunc('minute', t.time) AS bucket
              FROM telemetry t
             WHERE (p_series_ids IS NULL OR t.series_id = ANY (p_series_ids))
               AND t.time >= range_start AND t.time < range_end) k;
    IF series_ids IS NULL THEN
      RETURN 0;
    END IF;
    PERFORM telemetry_recompute(series_ids, buckets);
    RETURN cardinality(series_ids);
  END
  $$;

-- The 1-minute buckets of some series in [p_from, p_to), each from its rollup row or, while dirty, from the raw
-- rows. Runs as the caller, under row-level security; inlined into the caller's query.
CREATE FUNCTION telemetry_minutes(p_series_ids integer[], p_from timestamptz, p_to timestamptz)
  RETURNS TABLE (series_id integer, bucket timestamptz, min double precision, max double precision,
                 sum double precision, count bigint)
  LANGUAGE sql STABLE
  AS $$
    WITH dirty AS (
      SELECT DISTINCT d.series_id, d.bucket FROM telemetry_dirty d
       WHERE d.series_id = ANY (p_series_ids) AND d.bucket >= p_from AND d.bucket < p_to
    )
    SELECT m.series_id, m.bucket, m.min, m.max, m.sum, m.count::bigint
      FROM telemetry_1m m
     WHERE m.series_id = ANY (p_series_ids) AND m.bucket >= p_from AND m.bucket < p_to
       AND NOT EXISTS (SELECT 1 FROM dirty d WHERE d.series_id = m.series_id AND d.bucket = m.bucket)
    UNION ALL
    SELECT d.series_id, d.bucket, min(t.value), max(t.value), sum(t.value), count(*)
      FROM dirty d
      JOIN telemetry t ON t.series_id = d.series_id AND t.time >= d.bucket AND t.time < d.bucket + interval '1 minute'
     GROUP BY d.series_id, d.bucket
  $$;

-- The hourly buckets of some series in [p_from, p_to), each from its rollup row or, while any of its minutes is
-- dirty, from its minutes as telemetry_minutes gives them.
CREATE FUNCTION telemetry_hours(p_series_ids integer[], p_from timestamptz, p_to timestamptz)
  RETURNS TABLE (series_id integer, bucket timestamptz, min double precision, max double precision,
                 sum double precision, count bigint)
  LANGUAGE sql STABLE
  AS $$
    WITH dirty_hours AS (
      SELECT DISTINCT d.series_id, date_trunc('hour', d.bucket) AS hour FROM telemetry_dirty d
       WHERE d.series_id = ANY (p_series_ids)
         AND d.bucket >= date_trunc('hour', p_from) AND d.bucket < p_to + interval '1 hour'
         AND date_trunc('hour', d.bucket) >= p_from AND date_trunc('hour', d.bucket) < p_to
    )
    SELECT h.series_id, h.bucket, h.min, h.max, h.sum, h.count::bigint
      FROM telemetry_1h h
     WHERE h.series_id = ANY (p_series_ids) AND h.bucket >= p_from AND h.bucket < p_to
       AND NOT EXISTS (SELECT 1 FROM dirty_hours d WHERE d.series_id = h.series_id AND d.hour = h.bucket)
    UNION ALL
    SELECT m.series_id, date_trunc('hour', m.bucket), min(m.min), max(m.max), sum(m.sum), sum(m.count)::bigint
      FROM dirty_hours d
      CROSS JOIN LATERAL telemetry_minutes(ARRAY[d.series_id], d.hour, d.hour + interval '1 hour') m
     GROUP BY m.series_id, date_trunc('hour', m.bucket)
  $$;

-- telemetry_store and telemetry_write (seeds, tests, scripts) take the same path: raw rows and dirty keys only.
CREATE OR REPLACE FUNCTION telemetry_store(p_series_ids integer[], p_times timestamptz[], p_values double precision[])
  RETURNS TABLE (series_id integer, "time" timestamptz, value double precision)
  LANGUAGE plpgsql VOLATILE
  AS $$
  #variable_conflict use_column
  DECLARE
    bad record;
  BEGIN
    SELECT r.series_id, r.value INTO bad
      FROM unnest(p_series_ids, p_values) AS r (series_id, value)
     WHERE NOT (abs(r.value) <= 1e100::float8 AND (r.value = 0 OR abs(r.value) >= 1e-100::float8))
     LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'reading % of series % is not zero or a finite number of magnitude 1e-100 to 1e100',
        bad.value, bad.series_id
        USING ERRCODE = 'numeric_value_out_of_range';
    END IF;
    RETURN QUERY
    WITH input AS (
      SELECT DISTINCT ON (r.series_id, r.time) r.series_id, r.time, r.value
        FROM unnest(p_series_ids, p_times, p_values) AS r (series_id, time, value)
       ORDER BY r.series_id, r.time
    ),
    inserted AS (
      INSERT INTO telemetry AS t (series_id, time, value)
      SELECT i.series_id, i.time, i.value FROM input i
      ON CONFLICT (series_id, time) DO NOTHING
      RETURNING t.series_id, t.time, t.value
    ),
    dirty AS (
      INSERT INTO telemetry_dirty (series_id, bucket)
      SELECT DISTINCT i.series_id, date_trunc('minute', i.time) FROM inserted i
    )
    SELECT i.series_id, i.time, i.value FROM inserted i;
  END
  $$;

REVOKE ALL ON FUNCTION telemetry_rollup_dirty(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION telemetry_rebuild_range(timestamptz, timestamptz, integer[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION telemetry_recompute(integer[], timestamptz[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION telemetry_rollup_dirty(integer) TO tidewatch_app;
