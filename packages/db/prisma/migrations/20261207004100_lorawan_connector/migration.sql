-- LoRaWAN through a network server's MQTT integration (ChirpStack v4, The Things Stack v3). A tenant binds an
-- application of the network server (its broker, credentials and application id); devices of transport
-- 'lorawan' are mapped to it by DevEUI, each with the paths of its decoded payload mapped to metrics. One server
-- instance at a time holds an application (a lease in its row) and is the only one subscribed to its topics.

ALTER TYPE device_transport ADD VALUE IF NOT EXISTS 'lorawan';

-- Devices of connector transports have no device credential of their own.
ALTER TABLE devices DROP CONSTRAINT IF EXISTS devices_check;
ALTER TABLE devices ADD CONSTRAINT devices_check
  CHECK (transport NOT IN ('mqtt', 'http') OR credential_hash IS NOT NULL);

CREATE TABLE lorawan_applications (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id              uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name                   text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  format                 text NOT NULL CHECK (format IN ('chirpstack', 'tts')),
  broker_url             text NOT NULL CHECK (broker_url ~ '^mqtts?://' AND length(broker_url) <= 500),
  username               text CHECK (length(username) <= 200),
  -- Sealed (secrets at rest), bound to this row.
  password               text CHECK (password IS NULL OR password LIKE 'tw1.%'),
  -- Goes into topic names, so never a wildcard or a level separator.
  network_application_id text NOT NULL CHECK (network_application_id ~ '^[A-Za-z0-9@._-]{1,128}$'),
  enabled                boolean NOT NULL DEFAULT true,
  -- Bumped by every change of the connection (the holder reconnects) or of its devices (the holder reloads them).
  config_version         integer NOT NULL DEFAULT 1,
  devices_version        integer NOT NULL DEFAULT 1,
  -- The instance holding it, until lease_until; claim_token names the holding.
  claimed_by             text,
  claim_token            uuid,
  lease_until            timestamptz,
  -- What the holder reports.
  connected              boolean NOT NULL DEFAULT false,
  connected_at           timestamptz,
  last_message_at        timestamptz,
  last_error             text,
  last_error_at          timestamptz,
  consecutive_failures   integer NOT NULL DEFAULT 0,
  circuit_open_until     timestamptz,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, broker_url, network_application_id)
);
CREATE INDEX lorawan_applications_lease_idx ON lorawan_applications (lease_until NULLS FIRST) WHERE enabled;

CREATE TABLE lorawan_devices (
  device_id         uuid PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
  tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  application_id    uuid NOT NULL REFERENCES lorawan_applications (id) ON DELETE CASCADE,
  dev_eui           text NOT NULL CHECK (dev_eui ~ '^[0-9a-f]{16}$'),
  -- The Things Stack addresses downlinks by its own device id; learned from the device's uplinks if not given.
  network_device_id text CHECK (network_device_id ~ '^[a-z0-9](?:[-]?[a-z0-9]){1,35}$'),
  f_port            smallint NOT NULL DEFAULT 10 CHECK (f_port BETWEEN 1 AND 223),
  confirmed         boolean NOT NULL DEFAULT true,
  -- Device state from the network server's join and status events, and its last uplink.
  dev_addr          text,
  joined_at         timestamptz,
  battery_level     real,
  external_power    boolean,
  margin            integer,
  status_at         timestamptz,
  last_f_cnt        bigint,
  last_uplink_at    timestamptz,
  UNIQUE (application_id, dev_eui)
);
CREATE INDEX lorawan_devices_tenant_idx ON lorawan_devices (tenant_id);

CREATE TABLE lorawan_metric_mappings (
  id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  device_id uuid NOT NULL REFERENCES lorawan_devices (device_id) ON DELETE CASCADE,
  -- Dotted path into the decoded payload: `pressure`, `sensors.0.value`.
  path      text NOT NULL CHECK (path ~ '^[A-Za-z0-9_$-]{1,64}(\.[A-Za-z0-9_$-]{1,64}){0,7}$'),
  series_id integer NOT NULL REFERENCES series (id) ON DELETE CASCADE,
  scale     double precision NOT NULL DEFAULT 1,
  "offset"  double precision NOT NULL DEFAULT 0,
  UNIQUE (device_id, path),
  UNIQUE (device_id, series_id)
);

-- Uplinks as received: each once (the network server sends again what it is not sure we took), known devices
-- or not, with what they stored; the live preview reads the newest. Kept a few days (pruned by the holder).
CREATE TABLE lorawan_uplinks (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  application_id uuid NOT NULL REFERENCES lorawan_applications (id) ON DELETE CASCADE,
  dev_eui        text NOT NULL,
  device_id      uuid REFERENCES devices (id) ON DELETE SET NULL,
  f_cnt          bigint NOT NULL,
  f_port         integer,
  time           timestamptz NOT NULL,
  received_at    timestamptz NOT NULL DEFAULT now(),
  payload        jsonb,
  outcome        text NOT NULL,
  stored         jsonb,
  UNIQUE (application_id, dev_eui, f_cnt, time)
);
CREATE INDEX lorawan_uplinks_recent_idx ON lorawan_uplinks (application_id, received_at DESC);

CREATE TRIGGER lorawan_applications_touch_updated_at BEFORE UPDATE ON lorawan_applications
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['lorawan_applications', 'lorawan_devices', 'lorawan_metric_mappings', 'lorawan_uplinks']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())',
      t);
  END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON lorawan_applications, lorawan_devices, lorawan_metric_mappings,
  lorawan_uplinks TO tidewatch_app;

-- Claims up to p_limit enabled applications that nobody holds (or whose holder's lease ran out) for p_instance.
-- SKIP LOCKED keeps two instances from claiming the same row; the lease keeps a second one away until the
-- holder has stopped renewing for a whole lease, by which time it has dropped its connection.
CREATE FUNCTION lorawan_claim_applications(p_instance text, p_limit integer, p_lease_ms integer)
  RETURNS TABLE (id uuid, tenant_id uuid, claim_token uuid, config_version integer, devices_version integer)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    RETURN QUERY
    WITH free AS (
      SELECT a.id
        FROM lorawan_applications a
        JOIN tenants t ON t.id = a.tenant_id
       WHERE a.enabled AND t.disabled_at IS NULL AND (a.lease_until IS NULL OR a.lease_until < now())
       ORDER BY a.lease_until NULLS FIRST
       LIMIT p_limit
         FOR UPDATE OF a SKIP LOCKED
    )
    UPDATE lorawan_applications a
       SET claimed_by = p_instance, claim_token = gen_random_uuid(),
           lease_until = now() + p_lease_ms * interval '1 millisecond', connected = false
      FROM free WHERE a.id = free.id
    RETURNING a.id, a.tenant_id, a.claim_token, a.config_version, a.devices_version;
  END
  $$;

-- Extends the leases p_instance still holds; answers those, with their versions. One missing from the answer
-- was lost (disabled, deleted, its tenant disabled, or claimed by another after the lease ran out).
CREATE FUNCTION lorawan_renew_applications(p_instance text, p_tokens uuid[], p_lease_ms integer)
  RETURNS TABLE (id uuid, claim_token uuid, config_version integer, devices_version integer)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    RETURN QUERY
    UPDATE lorawan_applications a
       SET lease_until = now() + p_lease_ms * interval '1 millisecond'
      FROM tenants t
     WHERE t.id = a.tenant_id AND t.disabled_at IS NULL AND a.enabled
       AND a.claimed_by = p_instance AND a.claim_token = ANY (p_tokens) AND a.lease_until >= now()
    RETURNING a.id, a.claim_token, a.config_version, a.devices_version;
  END
  $$;

-- Lets go of a holding (shutdown, or the application was disabled): another instance may claim it at once.
CREATE FUNCTION lorawan_release_application(p_token uuid) RETURNS void
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    UPDATE lorawan_applications
       SET claimed_by = NULL, claim_token = NULL, lease_until = NULL, connected = false
     WHERE claim_token = p_token
  $$;

REVOKE ALL ON FUNCTION lorawan_claim_applications(text, integer, integer),
  lorawan_renew_applications(text, uuid[], integer), lorawan_release_application(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lorawan_claim_applications(text, integer, integer),
  lorawan_renew_applications(text, uuid[], integer), lorawan_release_application(uuid) TO tidewatch_app;

-- The MQTT command dispatcher publishes on devices/{id}/commands, which only MQTT devices read; devices of
-- other transports get their commands through their own connector.
CREATE OR REPLACE FUNCTION device_commands_pending(p_device_id uuid, p_limit integer)
  RETURNS TABLE (tenant_id uuid, id uuid, device_id uuid, command text, params jsonb, expires_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT c.tenant_id, c.id, c.device_id, c.command, c.params, c.expires_at
      FROM device_commands c
      JOIN devices d ON d.id = c.device_id
     WHERE c.state = 'pending' AND c.expires_at >= now() AND (p_device_id IS NULL OR c.device_id = p_device_id)
       AND d.transport = 'mqtt'
     ORDER BY c.requested_at
     LIMIT p_limit
  $$;
