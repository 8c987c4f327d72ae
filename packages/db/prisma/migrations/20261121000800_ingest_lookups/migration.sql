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
