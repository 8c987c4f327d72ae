-- Re-sent readings are found within the batch, never by joining the stage to telemetry.
--
-- telemetry_store_staged() found the rows it skipped as re-sent by joining the stage (a temporary table, which has
-- no statistics) to telemetry. The planner chose a hash join over every partition: each batch holding a single
-- re-sent reading read the whole table (260 ms at 1.2 million rows, and growing with it). Under load that made
-- batches slow, devices re-sent what was not yet acknowledged, and more batches held re-sent readings: ingest
-- collapsed to a third of its rate. Now the insert returns the keys it inserted, and the re-sent rows are the
-- stage's rows it did not return: an anti-join over the batch alone, whatever the size of telemetry.
CREATE OR REPLACE FUNCTION telemetry_store_staged()
  RETURNS TABLE (series_id integer, "time" timestamptz)
  LANGUAGE plpgsql VOLATILE
  AS $$
  #variable_conflict use_column
  DECLARE
    bad record;
    staged bigint;
    resent bigint;
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
    RETURN QUERY
    WITH inserted AS (
      INSERT INTO telemetry AS t (series_id, time, value)
      SELECT s.series_id, s.time, s.value FROM telemetry_stage s
      ON CONFLICT (series_id, time) DO NOTHING
      RETURNING t.series_id, t.time
    )
    SELECT s.series_id, s.time
      FROM telemetry_stage s
     WHERE NOT EXISTS (SELECT FROM inserted i WHERE i.series_id = s.series_id AND i.time = s.time);
    GET DIAGNOSTICS resent = ROW_COUNT;
    SELECT count(*) INTO staged FROM telemetry_stage;
    IF resent < staged THEN
      SELECT array_agg(k.series_id) AS ids, array_agg(k.bucket) AS buckets INTO keys
        FROM (SELECT DISTINCT s.series_id, date_trunc('minute', s.time) AS bucket FROM telemetry_stage s) k;
      PERFORM telemetry_record_dirty(keys.ids, keys.buckets);
    END IF;
    DELETE FROM telemetry_stage;
  END
  $$;
