-- The demo simulator (development only) plays the devices that still hold the published demo secret, across the
-- demo tenants: which devices, what they measure, where their asset sits, and where each series stood last, so the
-- live readings carry on from the seeded history. A device whose secret was rotated drops out, as it drops out of
-- demo_credentials_in_use().
CREATE FUNCTION demo_simulator_devices()
  RETURNS TABLE (device_id uuid, tenant_id uuid, time_zone text, asset_code text, asset_kind text, zone_id uuid,
                 properties jsonb, metric_key text, last_value double precision, last_time timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT d.id, d.tenant_id, t.time_zone, a.code, a.kind::text, a.zone_id, a.properties, m.key,
           latest.value, latest.time
      FROM devices d
      JOIN tenants t ON t.id = d.tenant_id AND t.disabled_at IS NULL
      JOIN assets a ON a.id = d.asset_id
      JOIN series s ON s.device_id = d.id
      JOIN metrics m ON m.id = s.metric_id
      LEFT JOIN LATERAL (SELECT tm.value, tm.time FROM telemetry tm WHERE tm.series_id = s.id
                          ORDER BY tm.time DESC LIMIT 1) latest ON true
     WHERE d.disabled_at IS NULL AND d.transport = 'mqtt'
       AND d.credential_hash IN (SELECT credential_hash FROM demo_credentials WHERE kind = 'device_secret')
     ORDER BY d.tenant_id, a.code, m.key
  $$;

REVOKE ALL ON FUNCTION demo_simulator_devices() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION demo_simulator_devices() TO tidewatch_app;
