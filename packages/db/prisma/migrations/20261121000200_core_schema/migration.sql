-- The tenant's world: organisation, people, the network on the map, devices, alarms, incidents, audit.
-- Every tenant table carries tenant_id so row-level security can filter it without joins.

CREATE TYPE user_role AS ENUM ('viewer', 'operator', 'maintenance', 'supervisor', 'tenant_admin', 'super_admin');
CREATE TYPE zone_kind AS ENUM ('district', 'dma', 'pressure_zone', 'community');
CREATE TYPE asset_kind AS ENUM (
  'tank', 'sump', 'reservoir', 'pump', 'borewell', 'flow_meter', 'pressure_point', 'valve', 'plant', 'junction',
  'pipeline'
);
CREATE TYPE pipe_material AS ENUM (
  'ductile_iron', 'cast_iron', 'steel', 'pvc', 'hdpe', 'asbestos_cement', 'galvanized_iron', 'concrete'
);
CREATE TYPE device_transport AS ENUM ('mqtt', 'http', 'thingspeak');
CREATE TYPE device_connectivity AS ENUM ('unknown', 'online', 'offline');
CREATE TYPE metric_kind AS ENUM ('gauge', 'counter', 'state');
CREATE TYPE command_state AS ENUM ('pending', 'delivered', 'acknowledged', 'failed', 'expired');
CREATE TYPE alert_priority AS ENUM ('critical', 'high', 'medium', 'low');
CREATE TYPE alert_condition AS ENUM (
  'high', 'high_high', 'low', 'low_low', 'rate_of_change', 'no_data', 'device_offline', 'anomaly'
);
CREATE TYPE alert_target_scope AS ENUM ('series', 'asset', 'asset_kind');
CREATE TYPE alert_state AS ENUM (
  'active_unacknowledged', 'active_acknowledged', 'returned_unacknowledged', 'normal', 'shelved', 'suppressed',
  'out_of_service'
);
CREATE TYPE incident_status AS ENUM ('open', 'in_progress', 'resolved', 'closed');
CREATE TYPE notification_channel AS ENUM ('webhook', 'email');
CREATE TYPE delivery_state AS ENUM ('pending', 'sending', 'delivered', 'failed');
CREATE TYPE actor_type AS ENUM ('user', 'device', 'system');
CREATE TYPE audit_outcome AS ENUM ('success', 'failure', 'denied');

-- Organisation ------------------------------------------------------------------------------------------

CREATE TABLE tenants (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  time_zone   text NOT NULL DEFAULT 'UTC',
  disabled_at timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE zones (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  parent_id  uuid REFERENCES zones (id) ON DELETE SET NULL,
  code       text NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind       zone_kind NOT NULL DEFAULT 'dma',
  geom       geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, code)
);
-- Spatial indexes lead with tenant_id (btree_gist): row-level security always adds the tenant condition,
-- and one index then serves both.
CREATE INDEX zones_tenant_geom_idx ON zones USING gist (tenant_id, geom);

-- People ------------------------------------------------------------------------------------------------

CREATE TABLE users (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Only super_admin lives outside every tenant.
  tenant_id           uuid REFERENCES tenants (id) ON DELETE CASCADE,
  email               citext NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 320),
  display_name        text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  role                user_role NOT NULL,
  password_hash       text NOT NULL,
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  failed_login_count  integer NOT NULL DEFAULT 0 CHECK (failed_login_count >= 0),
  locked_until        timestamptz,
  last_login_at       timestamptz,
  disabled_at         timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CHECK ((role = 'super_admin') = (tenant_id IS NULL))
);
CREATE INDEX users_tenant_idx ON users (tenant_id);

-- A user with no rows here sees every zone of the tenant.
CREATE TABLE user_zones (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  zone_id   uuid NOT NULL REFERENCES zones (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, zone_id)
);
CREATE INDEX user_zones_zone_idx ON user_zones (zone_id);

-- A session is one login; its refresh tokens rotate, and re-use of a spent one revokes the session.
CREATE TABLE sessions (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id      uuid REFERENCES tenants (id) ON DELETE CASCADE,
  user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  ip             inet,
  user_agent     text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_used_at   timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL,
  revoked_at     timestamptz,
  revoked_reason text
);
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id      uuid REFERENCES tenants (id) ON DELETE CASCADE,
  session_id     uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- SHA-256 of the token: the token itself is never stored.
  token_hash     bytea NOT NULL UNIQUE,
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL,
  used_at        timestamptz,
  replaced_by_id uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- The network on the map ----------------------------------------------------------------------------------

CREATE TABLE assets (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  zone_id            uuid REFERENCES zones (id) ON DELETE SET NULL,
  code               text NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
  name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind               asset_kind NOT NULL,
  geom               geometry(Geometry, 4326) NOT NULL CHECK (ST_IsValid(geom)),
  -- Kind-specific facts (tank capacity, pump rating, ...), validated by the API's schemas.
  properties         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(properties) = 'object'),
  -- Pipelines only: the network graph runs from_asset -> to_asset in the direction of flow.
  diameter_mm        integer CHECK (diameter_mm BETWEEN 10 AND 5000),
  material           pipe_material,
  from_asset_id      uuid REFERENCES assets (id) ON DELETE SET NULL,
  to_asset_id        uuid REFERENCES assets (id) ON DELETE SET NULL,
  installed_on       date,
  -- Maintenance mode suppresses the asset's alerts.
  maintenance_since  timestamptz,
  maintenance_reason text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, code),
  CHECK (
    CASE WHEN kind = 'pipeline'
      THEN GeometryType(geom) = 'LINESTRING' AND diameter_mm IS NOT NULL
      ELSE GeometryType(geom) = 'POINT' AND diameter_mm IS NULL AND material IS NULL
           AND from_asset_id IS NULL AND to_asset_id IS NULL
    END
  )
);
CREATE INDEX assets_tenant_geom_idx ON assets USING gist (tenant_id, geom);
-- Radius queries in metres go through geography; this index serves ST_DWithin(geom::geography, ...).
CREATE INDEX assets_tenant_geog_idx ON assets USING gist (tenant_id, (geom::geography));
CREATE INDEX assets_tenant_kind_idx ON assets (tenant_id, kind);
-- Keyset pages of a tenant's assets walk this in id order.
CREATE INDEX assets_tenant_id_idx ON assets (tenant_id, id);
CREATE INDEX assets_zone_idx ON assets (zone_id);
CREATE INDEX assets_from_idx ON assets (from_asset_id) WHERE from_asset_id IS NOT NULL;
CREATE INDEX assets_to_idx ON assets (to_asset_id) WHERE to_asset_id IS NOT NULL;

CREATE TABLE tags (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  key        text NOT NULL CHECK (key ~ '^[a-z0-9_.-]{1,64}$'),
  value      text NOT NULL DEFAULT '' CHECK (length(value) <= 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, key, value)
);

CREATE TABLE asset_tags (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  asset_id  uuid NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
  tag_id    uuid NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  PRIMARY KEY (asset_id, tag_id)
);
CREATE INDEX asset_tags_tag_idx ON asset_tags (tag_id);

-- Devices and what they measure ---------------------------------------------------------------------------

CREATE TABLE devices (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  asset_id              uuid REFERENCES assets (id) ON DELETE SET NULL,
  name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  serial_number         text,
  transport             device_transport NOT NULL,
  -- argon2id of the device secret; the secret is shown once at provisioning and never stored.
  credential_hash       text,
  credential_rotated_at timestamptz,
  firmware_version      text,
  disabled_at           timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, serial_number),
  CHECK (transport = 'thingspeak' OR credential_hash IS NOT NULL)
);
CREATE INDEX devices_asset_idx ON devices (asset_id);

CREATE TABLE device_tags (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  tag_id    uuid NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  PRIMARY KEY (device_id, tag_id)
);
CREATE INDEX device_tags_tag_idx ON device_tags (tag_id);

-- Written on every reading, so kept apart from the device's identity to avoid contention on that row.
CREATE TABLE device_states (
  device_id         uuid PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
  tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  connectivity      device_connectivity NOT NULL DEFAULT 'unknown',
  last_seen_at      timestamptz,
  last_reading_at   timestamptz,
  changed_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX device_states_silence_idx ON device_states (last_seen_at) WHERE connectivity = 'online';

-- Offline periods, for availability reporting. An open period has no ended_at.
CREATE TABLE device_downtimes (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  device_id  uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  started_at timestamptz NOT NULL,
  ended_at   timestamptz,
  reason     text,
  CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX device_downtimes_device_idx ON device_downtimes (device_id, started_at DESC);
CREATE UNIQUE INDEX device_downtimes_one_open_idx ON device_downtimes (device_id) WHERE ended_at IS NULL;

CREATE TABLE metrics (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  key         text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,63}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  unit        text NOT NULL DEFAULT '',
  kind        metric_kind NOT NULL DEFAULT 'gauge',
  -- Readings outside [valid_min, valid_max] are physically impossible and rejected at ingest.
  valid_min   double precision,
  valid_max   double precision,
  decimals    smallint NOT NULL DEFAULT 2 CHECK (decimals BETWEEN 0 AND 9),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, key),
  CHECK (valid_min IS NULL OR valid_max IS NULL OR valid_min < valid_max)
);

-- A series is one metric of one device. Telemetry is keyed by its integer id, never by names.
CREATE TABLE series (
  id         integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  device_id  uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  metric_id  uuid NOT NULL REFERENCES metrics (id) ON DELETE RESTRICT,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (device_id, metric_id)
);
CREATE INDEX series_tenant_idx ON series (tenant_id);
CREATE INDEX series_metric_idx ON series (metric_id);

-- value_stored = raw * scale + offset, for readings whose time falls in valid_during.
CREATE TABLE calibrations (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  series_id    integer NOT NULL REFERENCES series (id) ON DELETE CASCADE,
  scale        double precision NOT NULL DEFAULT 1 CHECK (scale <> 0),
  "offset"     double precision NOT NULL DEFAULT 0,
  valid_during tstzrange NOT NULL CHECK (NOT isempty(valid_during)),
  note         text,
  created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  EXCLUDE USING gist (series_id WITH =, valid_during WITH &&)
);

CREATE TABLE thingspeak_bindings (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  device_id            uuid NOT NULL UNIQUE REFERENCES devices (id) ON DELETE CASCADE,
  channel_id           bigint NOT NULL CHECK (channel_id > 0),
  -- ThingSpeak needs the key itself on every request, so it cannot be hashed.
  read_api_key         text,
  poll_interval_s      integer NOT NULL DEFAULT 60 CHECK (poll_interval_s >= 15),
  last_entry_id        bigint,
  last_polled_at       timestamptz,
  last_error           text,
  consecutive_failures integer NOT NULL DEFAULT 0,
  circuit_open_until   timestamptz,
  enabled              boolean NOT NULL DEFAULT true,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, channel_id)
);

-- field1..field8 of a channel, each mapped to a series, with a linear conversion to the metric's unit.
CREATE TABLE thingspeak_field_mappings (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  binding_id   uuid NOT NULL REFERENCES thingspeak_bindings (id) ON DELETE CASCADE,
  field_number smallint NOT NULL CHECK (field_number BETWEEN 1 AND 8),
  series_id    integer NOT NULL REFERENCES series (id) ON DELETE CASCADE,
  scale        double precision NOT NULL DEFAULT 1,
  "offset"     double precision NOT NULL DEFAULT 0,
  UNIQUE (binding_id, field_number),
  UNIQUE (binding_id, series_id)
);

CREATE TABLE device_commands (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  device_id       uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  command         text NOT NULL CHECK (command ~ '^[a-z][a-z0-9_]{0,63}$'),
  params          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(params) = 'object'),
  state           command_state NOT NULL DEFAULT 'pending',
  requested_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  requested_at    timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  delivered_at    timestamptz,
  acknowledged_at timestamptz,
  result          jsonb,
  failure_reason  text
);
CREATE INDEX device_commands_device_idx ON device_commands (device_id, requested_at DESC);
CREATE INDEX device_commands_open_idx ON device_commands (expires_at) WHERE state IN ('pending', 'delivered');

-- Alarms ----------------------------------------------------------------------------------------------------

CREATE TABLE alert_rules (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description     text,
  condition       alert_condition NOT NULL,
  priority        alert_priority NOT NULL,
  scope           alert_target_scope NOT NULL,
  series_id       integer REFERENCES series (id) ON DELETE CASCADE,
  asset_id        uuid REFERENCES assets (id) ON DELETE CASCADE,
  asset_kind      asset_kind,
  -- Narrows an asset_kind rule to one zone.
  zone_id         uuid REFERENCES zones (id) ON DELETE CASCADE,
  -- The metric watched where the scope is an asset or an asset kind.
  metric_id       uuid REFERENCES metrics (id) ON DELETE CASCADE,
  setpoint        double precision,
  deadband        double precision NOT NULL DEFAULT 0 CHECK (deadband >= 0),
  on_delay_s      integer NOT NULL DEFAULT 0 CHECK (on_delay_s >= 0),
  off_delay_s     integer NOT NULL DEFAULT 0 CHECK (off_delay_s >= 0),
  -- Rate of change, no-data and anomaly windows.
  window_s        integer CHECK (window_s > 0),
  -- Condition-specific tuning (anomaly sensitivity, ...), validated by the API's schemas.
  params          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(params) = 'object'),
  cooldown_s      integer NOT NULL DEFAULT 0 CHECK (cooldown_s >= 0),
  escalate_after_s integer CHECK (escalate_after_s > 0),
  enabled         boolean NOT NULL DEFAULT true,
  version         integer NOT NULL DEFAULT 1,
  created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (CASE scope
    WHEN 'series' THEN series_id IS NOT NULL AND asset_id IS NULL AND asset_kind IS NULL
    WHEN 'asset' THEN asset_id IS NOT NULL AND series_id IS NULL AND asset_kind IS NULL
    WHEN 'asset_kind' THEN asset_kind IS NOT NULL AND series_id IS NULL AND asset_id IS NULL
  END),
  CHECK (condition IN ('device_offline', 'no_data') OR scope = 'series' OR metric_id IS NOT NULL),
  CHECK (condition NOT IN ('high', 'high_high', 'low', 'low_low', 'rate_of_change') OR setpoint IS NOT NULL)
);
CREATE INDEX alert_rules_series_idx ON alert_rules (series_id) WHERE series_id IS NOT NULL;
CREATE INDEX alert_rules_asset_idx ON alert_rules (asset_id) WHERE asset_id IS NOT NULL;
CREATE INDEX alert_rules_kind_idx ON alert_rules (tenant_id, asset_kind, metric_id) WHERE asset_kind IS NOT NULL;

CREATE TABLE alerts (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  rule_id           uuid NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  -- What the alert is about, as a stable key ('series:42', 'device:<uuid>'), for the one-open-alert rule.
  target_key        text NOT NULL,
  series_id         integer REFERENCES series (id) ON DELETE SET NULL,
  device_id         uuid REFERENCES devices (id) ON DELETE SET NULL,
  asset_id          uuid REFERENCES assets (id) ON DELETE SET NULL,
  -- Copied from the asset at raise time so zone-limited users can be filtered without joins.
  zone_id           uuid REFERENCES zones (id) ON DELETE SET NULL,
  state             alert_state NOT NULL,
  priority          alert_priority NOT NULL,
  original_priority alert_priority NOT NULL,
  message           text NOT NULL,
  -- Whether the process condition still holds, independently of acknowledgement or shelving.
  condition_active  boolean NOT NULL,
  raised_at         timestamptz NOT NULL DEFAULT now(),
  raised_value      double precision,
  last_value        double precision,
  returned_at       timestamptz,
  acknowledged_at   timestamptz,
  acknowledged_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  shelved_until     timestamptz,
  shelved_by        uuid REFERENCES users (id) ON DELETE SET NULL,
  shelve_reason     text,
  escalated_at      timestamptz,
  closed_at         timestamptz,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CHECK ((state = 'normal') = (closed_at IS NOT NULL)),
  CHECK ((state = 'shelved') = (shelved_until IS NOT NULL))
);
-- The database, not a read-then-write in the engine, guarantees one open alert per rule and target.
CREATE UNIQUE INDEX alerts_one_open_idx ON alerts (rule_id, target_key) WHERE closed_at IS NULL;
CREATE INDEX alerts_open_idx ON alerts (tenant_id, priority, raised_at DESC) WHERE closed_at IS NULL;
CREATE INDEX alerts_timeline_idx ON alerts (tenant_id, raised_at DESC);
CREATE INDEX alerts_rule_closed_idx ON alerts (rule_id, target_key, closed_at DESC) WHERE closed_at IS NOT NULL;
CREATE INDEX alerts_asset_idx ON alerts (asset_id, raised_at DESC);
CREATE INDEX alerts_shelved_idx ON alerts (shelved_until) WHERE state = 'shelved';

-- Append-only history of every alert: the application may insert and read, never change or delete.
CREATE TABLE alert_transitions (
  id         bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  alert_id   uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  from_state alert_state,
  to_state   alert_state NOT NULL,
  at         timestamptz NOT NULL DEFAULT now(),
  -- Null for transitions the system made (raise, return, shelve expiry).
  user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
  comment    text CHECK (length(comment) <= 2000),
  value      double precision
);
CREATE INDEX alert_transitions_alert_idx ON alert_transitions (alert_id, at);

CREATE TABLE incidents (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- Human reference, INC-<number>, unique within the tenant.
  number      integer NOT NULL CHECK (number > 0),
  title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
  description text,
  status      incident_status NOT NULL DEFAULT 'open',
  priority    alert_priority NOT NULL,
  zone_id     uuid REFERENCES zones (id) ON DELETE SET NULL,
  asset_id    uuid REFERENCES assets (id) ON DELETE SET NULL,
  assignee_id uuid REFERENCES users (id) ON DELETE SET NULL,
  opened_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  opened_at   timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  closed_at   timestamptz,
  closed_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, number),
  CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX incidents_open_idx ON incidents (tenant_id, opened_at DESC) WHERE status <> 'closed';

CREATE TABLE incident_alerts (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  incident_id uuid NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  alert_id    uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  linked_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (incident_id, alert_id)
);
CREATE INDEX incident_alerts_alert_idx ON incident_alerts (alert_id);

CREATE TABLE incident_notes (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  incident_id uuid NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  author_id   uuid REFERENCES users (id) ON DELETE SET NULL,
  body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incident_notes_incident_idx ON incident_notes (incident_id, created_at);

CREATE TABLE maintenance_logs (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  incident_id  uuid REFERENCES incidents (id) ON DELETE SET NULL,
  asset_id     uuid REFERENCES assets (id) ON DELETE SET NULL,
  performed_by uuid REFERENCES users (id) ON DELETE SET NULL,
  work_done    text NOT NULL CHECK (length(work_done) BETWEEN 1 AND 10000),
  parts_used   text,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (finished_at IS NULL OR finished_at >= started_at)
);
CREATE INDEX maintenance_logs_asset_idx ON maintenance_logs (asset_id, started_at DESC);
CREATE INDEX maintenance_logs_incident_idx ON maintenance_logs (incident_id);

-- Notifications ---------------------------------------------------------------------------------------------

CREATE TABLE notification_rules (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  channel        notification_channel NOT NULL,
  -- A webhook URL or an e-mail address, by channel.
  target         text NOT NULL CHECK (length(target) BETWEEN 3 AND 2000),
  -- HMAC key for signing webhook bodies.
  webhook_secret text,
  min_priority   alert_priority NOT NULL DEFAULT 'high',
  -- Empty means every zone the user may see.
  zone_ids       uuid[] NOT NULL DEFAULT '{}',
  enabled        boolean NOT NULL DEFAULT true,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (channel <> 'webhook' OR webhook_secret IS NOT NULL)
);
CREATE INDEX notification_rules_tenant_idx ON notification_rules (tenant_id) WHERE enabled;

-- Transactional outbox: written in the same transaction as the alert change, delivered with retries.
CREATE TABLE notification_outbox (
  id              bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
  tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  rule_id         uuid REFERENCES notification_rules (id) ON DELETE SET NULL,
  alert_id        uuid REFERENCES alerts (id) ON DELETE CASCADE,
  channel         notification_channel NOT NULL,
  target          text NOT NULL,
  payload         jsonb NOT NULL,
  state           delivery_state NOT NULL DEFAULT 'pending',
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  delivered_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_outbox_due_idx ON notification_outbox (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX notification_outbox_alert_idx ON notification_outbox (alert_id);

-- Audit -----------------------------------------------------------------------------------------------------

-- No foreign keys: the record outlives the users, devices and tenants it mentions.
CREATE TABLE audit_log (
  id            bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
  at            timestamptz NOT NULL DEFAULT now(),
  tenant_id     uuid,
  actor_type    actor_type NOT NULL,
  actor_id      uuid,
  action        text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
  resource_type text NOT NULL,
  resource_id   text,
  outcome       audit_outcome NOT NULL DEFAULT 'success',
  request_id    text,
  ip            inet,
  user_agent    text,
  details       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_tenant_time_idx ON audit_log (tenant_id, at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC);
CREATE INDEX audit_log_resource_idx ON audit_log (resource_type, resource_id, at DESC);

-- updated_at triggers -----------------------------------------------------------------------------------------

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[
    'tenants', 'zones', 'users', 'assets', 'devices', 'device_states', 'thingspeak_bindings', 'alert_rules',
    'alerts', 'incidents', 'notification_rules'
  ] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION touch_updated_at()',
                   t || '_touch_updated_at', t);
  END LOOP;
END
$$;
