-- District metered areas: a zone whose inflow and outflow are metered, so its water balance (and at night, when
-- legitimate use is low and known, its leakage) can be computed from the meters' flow readings.

CREATE TABLE dmas (
  zone_id                  uuid PRIMARY KEY REFERENCES zones (id) ON DELETE CASCADE,
  tenant_id                uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- Customer connections (properties) supplied inside the DMA.
  connections              integer NOT NULL CHECK (connections BETWEEN 0 AND 10000000),
  -- The night window in the tenant's local time, whole hours [start, end) within one night.
  night_start_hour         smallint NOT NULL DEFAULT 2 CHECK (night_start_hour BETWEEN 0 AND 23),
  night_end_hour           smallint NOT NULL DEFAULT 4 CHECK (night_end_hour BETWEEN 1 AND 24),
  -- Legitimate night use per connection, litres per hour; what night flow beyond it is taken to be leakage.
  legitimate_night_use_lph double precision NOT NULL DEFAULT 1.7 CHECK (legitimate_night_use_lph BETWEEN 0 AND 100000),
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now(),
  CHECK (night_end_hour > night_start_hour)
);
CREATE INDEX dmas_tenant_idx ON dmas (tenant_id);

-- The meters on a DMA's boundary: an inlet's flow counts in, an outlet's out. A reversed flow reads negative and
-- counts the other way by itself.
CREATE TABLE dma_meters (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  zone_id   uuid NOT NULL REFERENCES dmas (zone_id) ON DELETE CASCADE,
  series_id integer NOT NULL REFERENCES series (id) ON DELETE CASCADE,
  direction text NOT NULL CHECK (direction IN ('inlet', 'outlet')),
  PRIMARY KEY (zone_id, series_id)
);
CREATE INDEX dma_meters_series_idx ON dma_meters (series_id);

CREATE TRIGGER dmas_touch_updated_at BEFORE UPDATE ON dmas FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['dmas', 'dma_meters'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())',
      t);
  END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON dmas, dma_meters TO tidewatch_app;

-- A rule watches one zone exactly when it is a night-flow rule (a DMA's balance is not a series of a device), and
-- such a rule names no metric: it reads the DMA's meters.
ALTER TABLE alert_rules
  DROP CONSTRAINT alert_rules_check,
  DROP CONSTRAINT alert_rules_check1,
  ADD CONSTRAINT alert_rules_scope_target CHECK (CASE scope
    WHEN 'series' THEN series_id IS NOT NULL AND asset_id IS NULL AND asset_kind IS NULL
    WHEN 'asset' THEN asset_id IS NOT NULL AND series_id IS NULL AND asset_kind IS NULL
    WHEN 'asset_kind' THEN asset_kind IS NOT NULL AND series_id IS NULL AND asset_id IS NULL
    WHEN 'zone' THEN zone_id IS NOT NULL AND series_id IS NULL AND asset_id IS NULL AND asset_kind IS NULL
  END),
  ADD CONSTRAINT alert_rules_metric_named
    CHECK (condition IN ('device_offline', 'no_data', 'night_flow_step') OR scope = 'series' OR metric_id IS NOT NULL),
  ADD CONSTRAINT alert_rules_zone_scope_night_flow CHECK ((scope = 'zone') = (condition = 'night_flow_step'));
