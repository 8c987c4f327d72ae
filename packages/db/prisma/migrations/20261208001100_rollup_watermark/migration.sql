-- Rollups of the minutes that are still being written are computed once, after the minute ends. A write used to
-- record every (series, minute) it touched in telemetry_dirty: with 50,000 series each reporting once a second
-- that is 50,000 heap and index inserts a second, and the job recomputed each open minute (and its hour, from
-- up to 60 minute rows) at every tick. Now a watermark splits time in three:
--   * before rolled_until: the rollups are complete, except the buckets listed in telemetry_dirty (late readings);
--   * [rolled_until, closed_until + 3 minutes), the hot window: readers aggregate the raw rows, and writers record
--     no dirty key for the minutes from closed_until on;
--   * from closed_until + 3 minutes on (a clock far ahead): writers record dirty keys as before.
-- The job moves closed_until to the last ended minute (less a grace) in a short transaction of its own that takes
-- the watermark lock exclusively, so every writer that saw the old value (writers hold the lock shared until they
-- commit) has committed; a later transaction then rolls [rolled_until, closed_until) up from the raw rows once and
-- moves rolled_until, and each hour once it has ended. A reader sees the watermark, the rollups and the dirty keys
-- in one snapshot, so every bucket is read either from its rollup or from the raw rows, never both, never stale.
-- Both start at -infinity: until a job first runs, every write records its keys, exactly as before.

CREATE TABLE telemetry_rollup_state (
  only_row      boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  closed_until  timestamptz NOT NULL DEFAULT '-infinity',
  rolled_until  timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO telemetry_rollup_state DEFAULT VALUES;
-- Only the job (as owner) moves it; writers and readers see it through telemetry_hot_window.

-- The hot window, minutes read from the raw rows whatever the rollup tables hold, and where writers stop
-- recording dirty keys (closed).
CREATE FUNCTION telemetry_hot_window(OUT starts timestamptz, OUT ends timestamptz, OUT closed timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT s.rolled_until, s.closed_until + interval '3 minutes', s.closed_until FROM telemetry_rollup_state s
  $$;

-- Takes the watermark lock shared until commit and records the dirty keys of the stage that lie outside the
-- writers' part of the hot window. Called by both write paths after their insert.
CREATE FUNCTION telemetry_record_dirty(p_series_ids integer[], p_buckets timestamptz[]) RETURNS void
  LANGUAGE plpgsql VOLATILE
  AS $$
  DECLARE
    closed timestamptz;
  BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtext('tidewatch.telemetry_watermark'));
    SELECT w.closed INTO closed FROM telemetry_hot_window() w;
    INSERT INTO telemetry_dirty (series_id, bucket)
    SELECT DISTINCT u.series_id, u.bucket FROM unnest(p_series_ids, p_buckets) AS u (series_id, bucket)
     WHERE NOT (u.bucket >= closed AND u.bucket < closed + interval '3 minutes');
  END
  $$;

CREATE OR REPLACE FUNCTION telemetry_store_staged()
  RETURNS TABLE (series_id integer, "time" timestamptz)
  LANGUAGE plpgsql VOLATILE
  AS $$
  #variable_conflict use_column
  DECLARE
    bad record;
    staged bigint;
    inserted bigint;
    keys record;
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
    -- Shared before the insert: the job cannot close a minute this transaction writes until it commits.
    PERFORM pg_advisory_xact_lock_shared(hashtext('tidewatch.telemetry_watermark'));
    INSERT INTO telemetry (series_id, time, value)
    SELECT s.series_id, s.time, s.value FROM telemetry_stage s
    ON CONFLICT (series_id, time) DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    SELECT count(*) INTO staged FROM telemetry_stage;
    IF inserted > 0 THEN
      SELECT array_agg(k.series_id) AS ids, array_agg(k.bucket) AS buckets INTO keys
        FROM (SELECT DISTINCT s.series_id, date_trunc('minute', s.time) AS bucket FROM telemetry_stage s) k;
      PERFORM telemetry_record_dirty(keys.ids, keys.buckets);
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

CREATE OR REPLACE FUNCTION telemetry_store(p_series_ids integer[], p_times timestamptz[], p_values double precision[])
  RETURNS TABLE (series_id integer, "time" timestamptz, value double precision)
  LANGUAGE plpgsql VOLATILE
  AS $$
  #variable_conflict use_column
  DECLARE
    bad record;
    keys record;
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
    -- The keys of every given reading, re-sent ones too (a needless recomputation at worst); the lock comes first.
    SELECT array_agg(k.series_id) AS ids, array_agg(k.bucket) AS buckets INTO keys
      FROM (SELECT DISTINCT r.series_id, date_trunc('minute', r.time) AS bucket
              FROM unnest(p_series_ids, p_times) AS r (series_id, time)) k;
    IF keys.ids IS NOT NULL THEN
      PERFORM telemetry_record_dirty(keys.ids, keys.buckets);
    END IF;
    RETURN QUERY
    WITH input AS (
      SELECT DISTINCT ON (r.series_id, r.time) r.series_id, r.time, r.value
        FROM unnest(p_series_ids, p_times, p_values) AS r (series_id, time, value)
       ORDER BY r.series_id, r.time
    )
    INSERT INTO telemetry AS t (series_id, time, value)
    SELECT i.series_id, i.time, i.value FROM input i
    ON CONFLICT (series_id, time) DO NOTHING
    RETURNING t.series_id, t.time, t.value;
  END
  $$;

-- Step one of the job, a transaction of its own: closes the minutes that ended at least p_grace ago. Waits at most
-- a moment for the writers in flight (a writer may wait on a row another holds while that one queues behind this
-- lock); when it cannot, the next tick tries again. Returns the new closed_until.
CREATE FUNCTION telemetry_close_minutes(p_grace interval DEFAULT interval '5 seconds') RETURNS timestamptz
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET lock_timeout = '500ms'
  AS $$
  DECLARE
    closed timestamptz;
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('tidewatch.telemetry_watermark'));
    UPDATE telemetry_rollup_state
       SET closed_until = greatest(closed_until, date_trunc('minute', clock_timestamp() - p_grace))
    RETURNING closed_until INTO closed;
    RETURN closed;
  END
  $$;

-- Rolls the closed minutes [rolled_until, closed_until) up from the raw rows, at most p_minutes of them, and the
-- hours that thereby ended; moves rolled_until. Each minute and hour is computed once here; a late reading comes
-- back through its dirty key. Runs inside telemetry_rollup_dirty, under its lock. Returns the minute buckets done.
CREATE FUNCTION telemetry_roll_closed(p_minutes integer) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  AS $$
  DECLARE
    state record;
    range_start timestamptz;
    range_end timestamptz;
    oldest timestamptz;
    done integer := 0;
  BEGIN
    SELECT s.closed_until, s.rolled_until INTO state FROM telemetry_rollup_state s FOR UPDATE;
    IF state.closed_until <= state.rolled_until THEN
      RETURN 0;
    END IF;
    IF state.rolled_until = '-infinity' THEN
      -- Until the first close every write recorded its keys: the dirty buckets are all there is to do.
      UPDATE telemetry_rollup_state SET rolled_until = state.closed_until;
      RETURN 0;
    END IF;
    range_start := state.rolled_until;
    range_end := least(state.closed_until, range_start + make_interval(mins => p_minutes));
    SELECT min(p.starts) INTO oldest FROM telemetry_partitions() p WHERE p.tier = 'telemetry_1m';
    IF oldest IS NOT NULL AND range_end > oldest THEN
      INSERT INTO telemetry_1m AS m (series_id, bucket, min, max, sum, count, first, first_time, last, last_time)
      SELECT t.series_id, date_trunc('minute', t.time), min(t.value), max(t.value), sum(t.value), count(*),
             (array_agg(t.value ORDER BY t.time))[1], min(t.time),
             (array_agg(t.value ORDER BY t.time DESC))[1], max(t.time)
        FROM telemetry t
       WHERE t.time >= greatest(range_start, oldest) AND t.time < range_end
       GROUP BY 1, 2
      ON CONFLICT (series_id, bucket) DO UPDATE SET
        min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count,
        first = excluded.first, first_time = excluded.first_time, last = excluded.last, last_time = excluded.last_time;
      GET DIAGNOSTICS done = ROW_COUNT;
    END IF;
    IF date_trunc('hour', range_end) > date_trunc('hour', range_start) THEN
      INSERT INTO telemetry_1h AS h (series_id, bucket, min, max, sum, count, first, first_time, last, last_time)
      SELECT m.series_id, date_trunc('hour', m.bucket), min(m.min), max(m.max), sum(m.sum), sum(m.count),
             (array_agg(m.first ORDER BY m.first_time))[1], min(m.first_time),
             (array_agg(m.last ORDER BY m.last_time DESC))[1], max(m.last_time)
        FROM telemetry_1m m
       WHERE m.bucket >= date_trunc('hour', range_start) AND m.bucket < date_trunc('hour', range_end)
       GROUP BY 1, 2
      ON CONFLICT (series_id, bucket) DO UPDATE SET
        min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count,
        first = excluded.first, first_time = excluded.first_time, last = excluded.last, last_time = excluded.last_time;
    END IF;
    UPDATE telemetry_rollup_state SET rolled_until = range_end;
    RETURN done;
  END
  $$;

-- The rollup job's second step: the closed minutes first, then up to p_limit dirty buckets, in one transaction.
CREATE OR REPLACE FUNCTION telemetry_rollup_dirty(p_limit integer) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    series_ids integer[];
    buckets timestamptz[];
    closed_done integer;
  BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('tidewatch.telemetry_rollup')) THEN
      RETURN -1;
    END IF;
    -- Ten minutes a run: a backlog after downtime is drained in runs back to back, each a bounded transaction.
    closed_done := telemetry_roll_closed(10);
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
      RETURN closed_done;
    END IF;
    PERFORM telemetry_recompute(series_ids, buckets);
    RETURN closed_done + cardinality(series_ids);
  END
  $$;

-- Readers: the hot window from the raw rows, the rest from the rollups unless dirty.
CREATE OR REPLACE FUNCTION telemetry_minutes(p_series_ids integer[], p_from timestamptz, p_to timestamptz)
  RETURNS TABLE (series_id integer, bucket timestamptz, min double precision, max double precision,
                 sum double precision, count bigint)
  LANGUAGE sql STABLE
  AS $$
    WITH hot AS (SELECT w.starts, w.ends FROM telemetry_hot_window() w),
    dirty AS (
      SELECT DISTINCT d.series_id, d.bucket FROM telemetry_dirty d
       WHERE d.series_id = ANY (p_series_ids) AND d.bucket >= p_from AND d.bucket < p_to
    )
    SELECT m.series_id, m.bucket, m.min, m.max, m.sum, m.count::bigint
      FROM telemetry_1m m, hot
     WHERE m.series_id = ANY (p_series_ids) AND m.bucket >= p_from AND m.bucket < p_to
       AND NOT (m.bucket >= hot.starts AND m.bucket < hot.ends)
       AND NOT EXISTS (SELECT 1 FROM dirty d WHERE d.series_id = m.series_id AND d.bucket = m.bucket)
    UNION ALL
    SELECT d.series_id, d.bucket, min(t.value), max(t.value), sum(t.value), count(*)
      FROM dirty d
      CROSS JOIN hot
      JOIN telemetry t ON t.series_id = d.series_id AND t.time >= d.bucket AND t.time < d.bucket + interval '1 minute'
     WHERE NOT (d.bucket >= hot.starts AND d.bucket < hot.ends)
     GROUP BY d.series_id, d.bucket
    UNION ALL
    SELECT t.series_id, date_trunc('minute', t.time), min(t.value), max(t.value), sum(t.value), count(*)
      FROM hot
      JOIN telemetry t ON t.series_id = ANY (p_series_ids)
       AND t.time >= greatest(hot.starts, date_trunc('minute', p_from))
       AND t.time < least(hot.ends, p_to + interval '1 minute')
     WHERE date_trunc('minute', t.time) >= p_from AND date_trunc('minute', t.time) < p_to
     GROUP BY 1, 2
  $$;

CREATE OR REPLACE FUNCTION telemetry_hours(p_series_ids integer[], p_from timestamptz, p_to timestamptz)
  RETURNS TABLE (series_id integer, bucket timestamptz, min double precision, max double precision,
                 sum double precision, count bigint)
  LANGUAGE sql STABLE
  AS $$
    WITH hot AS (
      -- The hours that overlap the hot window: from the hour of its start to the end of the hour it ends in.
      SELECT date_trunc('hour', w.starts) AS starts, w.ends,
             CASE WHEN date_trunc('hour', w.ends) = w.ends THEN w.ends
                  ELSE date_trunc('hour', w.ends) + interval '1 hour' END AS hours_end
        FROM telemetry_hot_window() w
    ),
    dirty_hours AS (
      SELECT DISTINCT d.series_id, date_trunc('hour', d.bucket) AS hour FROM telemetry_dirty d, hot
       WHERE d.series_id = ANY (p_series_ids)
         AND d.bucket >= date_trunc('hour', p_from) AND d.bucket < p_to + interval '1 hour'
         AND date_trunc('hour', d.bucket) >= p_from AND date_trunc('hour', d.bucket) < p_to
         AND NOT (date_trunc('hour', d.bucket) >= hot.starts AND date_trunc('hour', d.bucket) < hot.ends)
    )
    SELECT h.series_id, h.bucket, h.min, h.max, h.sum, h.count::bigint
      FROM telemetry_1h h, hot
     WHERE h.series_id = ANY (p_series_ids) AND h.bucket >= p_from AND h.bucket < p_to
       AND NOT (h.bucket >= hot.starts AND h.bucket < hot.ends)
       AND NOT EXISTS (SELECT 1 FROM dirty_hours d WHERE d.series_id = h.series_id AND d.hour = h.bucket)
    UNION ALL
    SELECT m.series_id, date_trunc('hour', m.bucket), min(m.min), max(m.max), sum(m.sum), sum(m.count)::bigint
      FROM dirty_hours d
      CROSS JOIN LATERAL telemetry_minutes(ARRAY[d.series_id], d.hour, d.hour + interval '1 hour') m
     GROUP BY m.series_id, date_trunc('hour', m.bucket)
    UNION ALL
    -- The hours that overlap the hot window, from their minutes.
    SELECT m.series_id, date_trunc('hour', m.bucket), min(m.min), max(m.max), sum(m.sum), sum(m.count)::bigint
      FROM hot
      CROSS JOIN LATERAL telemetry_minutes(p_series_ids, greatest(hot.starts, date_trunc('hour', p_from)),
                                           least(hot.hours_end, date_trunc('hour', p_to) + interval '1 hour')) m
     WHERE date_trunc('hour', m.bucket) >= p_from AND date_trunc('hour', m.bucket) < p_to
     GROUP BY m.series_id, date_trunc('hour', m.bucket)
  $$;

REVOKE ALL ON FUNCTION telemetry_close_minutes(interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION telemetry_roll_closed(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION telemetry_close_minutes(interval) TO tidewatch_app;
