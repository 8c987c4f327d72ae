-- A reading's value must be finite and within ±1e100 to be stored (the server's `maxReadingMagnitude`, which
-- refuses such values one by one before they get here). Two readings of 1.7e308 in one minute made the rollup
-- sum overflow, failing the whole statement and every other device's readings written with them; NaN and
-- ±Infinity (from a calibration that overflows) were stored silently and spoiled the rollups for good.
-- Within ±1e100 no sum, mean or variance of any number of readings can leave the range of float8.
--
-- The same statement as before, now in PL/pgSQL for the check, which refuses the whole call with 22003 (a value
-- out of range) and the first offending series in the message; the caller then finds the message at fault.
CREATE OR REPLACE FUNCTION telemetry_store(p_series_ids integer[], p_times timestamptz[], p_values double precision[])
  RETURNS TABLE (series_id integer, "time" timestamptz, value double precision)
  LANGUAGE plpgsql VOLATILE
  AS $$
  #variable_conflict use_column
  DECLARE
    bad record;
  BEGIN
    -- Written as "not within" so that NaN and ±Infinity are caught as plainly as 1e308.
    SELECT r.series_id, r.value INTO bad
      FROM unnest(p_series_ids, p_values) AS r (series_id, value)
     WHERE NOT (abs(r.value) <= 1e100::float8)
     LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'reading % of series % is not a finite number within ±1e100', bad.value, bad.series_id
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
    minute_rows AS (
      INSERT INTO telemetry_1m AS t (series_id, bucket, min, max, sum, count, first, first_time, last, last_time)
      SELECT i.series_id, date_trunc('minute', i.time), min(i.value), max(i.value), sum(i.value), count(*),
             (array_agg(i.value ORDER BY i.time))[1], min(i.time),
             (array_agg(i.value ORDER BY i.time DESC))[1], max(i.time)
        FROM inserted i
       GROUP BY i.series_id, date_trunc('minute', i.time)
      ON CONFLICT (series_id, bucket) DO UPDATE SET
        min = least(t.min, excluded.min),
        max = greatest(t.max, excluded.max),
        sum = t.sum + excluded.sum,
        count = t.count + excluded.count,
        first = CASE WHEN excluded.first_time < t.first_time THEN excluded.first ELSE t.first END,
        first_time = least(t.first_time, excluded.first_time),
        last = CASE WHEN excluded.last_time > t.last_time THEN excluded.last ELSE t.last END,
        last_time = greatest(t.last_time, excluded.last_time)
    ),
    hour_rows AS (
      INSERT INTO telemetry_1h AS t (series_id, bucket, min, max, sum, count, first, first_time, last, last_time)
      SELECT i.series_id, date_trunc('hour', i.time), min(i.value), max(i.value), sum(i.value), count(*),
             (array_agg(i.value ORDER BY i.time))[1], min(i.time),
             (array_agg(i.value ORDER BY i.time DESC))[1], max(i.time)
        FROM inserted i
       GROUP BY i.series_id, date_trunc('hour', i.time)
      ON CONFLICT (series_id, bucket) DO UPDATE SET
        min = least(t.min, excluded.min),
        max = greatest(t.max, excluded.max),
        sum = t.sum + excluded.sum,
        count = t.count + excluded.count,
        first = CASE WHEN excluded.first_time < t.first_time THEN excluded.first ELSE t.first END,
        first_time = least(t.first_time, excluded.first_time),
        last = CASE WHEN excluded.last_time > t.last_time THEN excluded.last ELSE t.last END,
        last_time = greatest(t.last_time, excluded.last_time)
    )
    SELECT i.series_id, i.time, i.value FROM inserted i;
  END
  $$;
