-- Trend reads of the 1-minute tier are planned once per connection, not at every call.
--
-- telemetry_minutes() was a SQL function, inlined into every query that used it; its three branches reach the raw
-- telemetry table through bounds known only at run time (the hot window), so the planner kept every daily
-- partition in three places: a year of partitions made a plan of about 4,000 nodes and 130 ms of planning for a
-- query that runs in 40 ms, and telemetry_hours() (a year's trend) paid it at every request (800 ms in the
-- trend benchmark). As PL/pgSQL with a generic plan, it is planned once per connection and its partitions are
-- pruned when it runs.
CREATE OR REPLACE FUNCTION telemetry_minutes(p_series_ids integer[], p_from timestamptz, p_to timestamptz)
  RETURNS TABLE (series_id integer, bucket timestamptz, min double precision, max double precision,
                 sum double precision, count bigint)
  LANGUAGE plpgsql STABLE
  SET plan_cache_mode = force_generic_plan
  AS $$
  #variable_conflict use_column
  BEGIN
    RETURN QUERY
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
       GROUP BY 1, 2;

  END
  $$;
