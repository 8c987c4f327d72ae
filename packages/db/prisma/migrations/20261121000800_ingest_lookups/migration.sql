-- What the ingest path needs to know about a device before it knows the device's tenant: who it is, whether it
-- may publish, its credential hash, and its series with their valid ranges and calibrations. One narrow
-- SECURITY DEFINER function, as for authentication; everything ingest then writes runs in the tenant's context.

CREATE FUNCTION ingest_device(p_device_id uuid)
  RETURNS TABLE (
    device_id uuid, tenant_id uuid, asset_id uuid, transport device_transport, disabled boolean,
    credential_hash text, credential_rotated_at timestamptz, series jsonb, calibrations jsonb
  )
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    RETURN QUERY
    SELECT d.id, d.tenant_id, d.asset_id, d.transport, d.disabled_at IS NOT NULL OR t.disabled_at IS NOT NULL,
           d.credential_hash, d.credential_rotated_at,
           coalesce((SELECT jsonb_agg(jsonb_build_object('id', s.id, 'key', m.key, 'min', m.valid_min,
                                                         'max', m.valid_max) ORDER BY s.id)
                       FROM series s JOIN metrics m ON m.id = s.metric_id WHERE s.device_id = d.id), '[]'),
           coalesce((SELECT jsonb_agg(jsonb_build_object('seriesId', c.series_id, 'scale', c.scale,
                                                         'offset', c."offset", 'from', lower(c.valid_during),
                                                         'to', upper(c.valid_during)))
                       FROM calibrations c JOIN series s ON s.id = c.series_id WHERE s.device_id = d.id), '[]')
      FROM devices d JOIN tenants t ON t.id = d.tenant_id
     WHERE d.id = p_device_id;
  END
  $$;

REVOKE ALL ON FUNCTION ingest_device(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ingest_device(uuid) TO tidewatch_app;

-- Stores readings and maintains both rollups in one statement, like telemetry_write, and returns the readings
-- that were new (a re-sent reading is not returned), so the caller can hand exactly those on.
CREATE FUNCTION telemetry_store(p_series_ids integer[], p_times timestamptz[], p_values double precision[])
  RETURNS TABLE (series_id integer, "time" timestamptz, value double precision)
  LANGUAGE sql VOLATILE
  AS $$
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
    SELECT i.series_id, i.time, i.value FROM inserted i
  $$;

-- The counting form, now a thin wrapper so the storing logic lives in one place.
CREATE OR REPLACE FUNCTION telemetry_write(p_series_ids integer[], p_times timestamptz[], p_values double precision[])
  RETURNS integer
  LANGUAGE sql VOLATILE
  AS $$ SELECT count(*)::integer FROM telemetry_store(p_series_ids, p_times, p_values) $$;
