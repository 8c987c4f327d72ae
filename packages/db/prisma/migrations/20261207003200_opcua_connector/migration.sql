-- The OPC UA connector: per device a binding to one endpoint (one session, one subscription), its monitored items
-- mapped to the device's series, the commands it may carry (a write or a method call), the tenant's own client
-- certificate and its trust list of server certificates. Bindings are held by one server instance at a time under
-- a lease; the connector serves every tenant, so it claims, renews and records through the narrow SECURITY
-- DEFINER functions below, each touching binding rows only.

CREATE TABLE opcua_bindings (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id              uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  device_id              uuid NOT NULL UNIQUE REFERENCES devices (id) ON DELETE CASCADE,
  endpoint_url           text NOT NULL CHECK (endpoint_url ~ '^opc\.tcp://[^\s/?#]+' AND length(endpoint_url) <= 500),
  security_policy        text NOT NULL DEFAULT 'None'
    CHECK (security_policy IN ('None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss')),
  security_mode          text NOT NULL DEFAULT 'None' CHECK (security_mode IN ('None', 'Sign', 'SignAndEncrypt')),
  username               text CHECK (length(username) BETWEEN 1 AND 200),
  -- Sealed (secrets at rest), bound to the device.
  password               text CHECK (password LIKE 'tw1.%'),
  publishing_interval_ms integer NOT NULL DEFAULT 1000 CHECK (publishing_interval_ms BETWEEN 50 AND 3600000),
  enabled                boolean NOT NULL DEFAULT true,
  -- The instance holding the binding, the claim its results are recorded under, and until when.
  claimed_by             text,
  claim_token            uuid,
  lease_until            timestamptz,
  -- What the holder last saw: its session's state, the newest value stored, the last failure.
  state                  text NOT NULL DEFAULT 'idle'
    CHECK (state IN ('idle', 'connecting', 'connected', 'reconnecting', 'untrusted', 'failed')),
  state_changed_at       timestamptz,
  last_read_at           timestamptz,
  last_error             text,
  last_error_at          timestamptz,
  consecutive_failures   integer NOT NULL DEFAULT 0,
  -- The certificate the endpoint presented last (SHA-1 thumbprint, as OPC UA names certificates).
  server_thumbprint      text CHECK (server_thumbprint ~ '^[0-9a-f]{40}$'),
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CHECK ((security_policy = 'None') = (security_mode = 'None')),
  CHECK (password IS NULL OR username IS NOT NULL)
);
CREATE INDEX opcua_bindings_lease_idx ON opcua_bindings (lease_until NULLS FIRST) WHERE enabled;

CREATE TABLE opcua_monitored_items (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  binding_id           uuid NOT NULL REFERENCES opcua_bindings (id) ON DELETE CASCADE,
  series_id            integer NOT NULL REFERENCES series (id) ON DELETE CASCADE,
  node_id              text NOT NULL CHECK (length(node_id) BETWEEN 1 AND 1000),
  sampling_interval_ms integer NOT NULL DEFAULT 1000 CHECK (sampling_interval_ms BETWEEN 0 AND 3600000),
  deadband_type        text NOT NULL DEFAULT 'none' CHECK (deadband_type IN ('none', 'absolute', 'percent')),
  deadband_value       double precision NOT NULL DEFAULT 0 CHECK (deadband_value >= 0),
  scale                double precision NOT NULL DEFAULT 1,
  "offset"             double precision NOT NULL DEFAULT 0,
  UNIQUE (binding_id, series_id),
  CHECK (deadband_type <> 'percent' OR deadband_value <= 100)
);
CREATE INDEX opcua_monitored_items_series_idx ON opcua_monitored_items (series_id);

CREATE TABLE opcua_command_mappings (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  binding_id     uuid NOT NULL REFERENCES opcua_bindings (id) ON DELETE CASCADE,
  command        text NOT NULL CHECK (command ~ '^[a-z][a-z0-9_]{0,63}$'),
  kind           text NOT NULL CHECK (kind IN ('write', 'call')),
  -- write: the variable written; call: the method called.
  node_id        text NOT NULL CHECK (length(node_id) BETWEEN 1 AND 1000),
  -- call: the object the method is called on.
  object_node_id text CHECK (length(object_node_id) BETWEEN 1 AND 1000),
  UNIQUE (binding_id, command),
  CHECK ((kind = 'call') = (object_node_id IS NOT NULL))
);

-- The tenant's own OPC UA application instance certificate, made by the server on first use; plant servers
-- trust it to let the tenant's sessions in.
CREATE TABLE opcua_client_certificates (
  tenant_id       uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  certificate     bytea NOT NULL CHECK (length(certificate) BETWEEN 1 AND 16384),
  -- PEM, sealed (secrets at rest), bound to the tenant.
  private_key     text NOT NULL CHECK (private_key LIKE 'tw1.%'),
  application_uri text NOT NULL,
  thumbprint      text NOT NULL CHECK (thumbprint ~ '^[0-9a-f]{40}$'),
  not_after       timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- Server certificates the tenant trusts or refuses. One the connector meets and does not know is stored as
-- pending, for a tenant administrator to approve.
CREATE TABLE opcua_server_certificates (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  thumbprint      text NOT NULL CHECK (thumbprint ~ '^[0-9a-f]{40}$'),
  certificate     bytea NOT NULL CHECK (length(certificate) BETWEEN 1 AND 16384),
  subject         text NOT NULL DEFAULT '' CHECK (length(subject) <= 1000),
  application_uri text CHECK (length(application_uri) <= 1000),
  not_before      timestamptz,
  not_after       timestamptz,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'trusted', 'rejected')),
  endpoint_url    text CHECK (length(endpoint_url) <= 500),
  first_seen_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at    timestamptz NOT NULL DEFAULT now(),
  decided_by      uuid REFERENCES users (id) ON DELETE SET NULL,
  decided_at      timestamptz,
  UNIQUE (tenant_id, thumbprint)
);

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[
    'opcua_bindings', 'opcua_monitored_items', 'opcua_command_mappings', 'opcua_client_certificates',
    'opcua_server_certificates'
  ] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())',
      t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO tidewatch_app', t);
  END LOOP;
END
$$;

-- Claims up to p_limit enabled bindings that nobody holds (or whose holder's lease ran out) for p_instance, each
-- with its items and commands. SKIP LOCKED keeps two instances from claiming the same row.
CREATE FUNCTION opcua_claim_bindings(p_instance text, p_limit integer, p_lease_ms integer)
  RETURNS TABLE (
    binding_id uuid, tenant_id uuid, device_id uuid, claim_token uuid, endpoint_url text, security_policy text,
    security_mode text, username text, password text, publishing_interval_ms integer, items jsonb, commands jsonb
  )
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    RETURN QUERY
    WITH due AS (
      SELECT b.id
        FROM opcua_bindings b
        JOIN devices d ON d.id = b.device_id
        JOIN tenants t ON t.id = b.tenant_id
       WHERE b.enabled AND (b.lease_until IS NULL OR b.lease_until < now())
         AND d.disabled_at IS NULL AND t.disabled_at IS NULL
         AND EXISTS (SELECT FROM opcua_monitored_items i WHERE i.binding_id = b.id)
       ORDER BY b.lease_until NULLS FIRST
       LIMIT p_limit
         FOR UPDATE OF b SKIP LOCKED
    ), claimed AS (
      UPDATE opcua_bindings b
         SET claim_token = gen_random_uuid(), claimed_by = p_instance,
             lease_until = now() + p_lease_ms * interval '1 millisecond'
        FROM due WHERE b.id = due.id
      RETURNING b.*
    )
    SELECT c.id, c.tenant_id, c.device_id, c.claim_token, c.endpoint_url, c.security_policy, c.security_mode,
           c.username, c.password, c.publishing_interval_ms,
           (SELECT jsonb_agg(jsonb_build_object(
                     'itemId', i.id, 'nodeId', i.node_id, 'seriesId', i.series_id, 'metricKey', mt.key,
                     'samplingIntervalMs', i.sampling_interval_ms, 'deadbandType', i.deadband_type,
                     'deadbandValue', i.deadband_value, 'scale', i.scale, 'offset', i."offset")
                   ORDER BY mt.key)
              FROM opcua_monitored_items i
              JOIN series s ON s.id = i.series_id
              JOIN metrics mt ON mt.id = s.metric_id
             WHERE i.binding_id = c.id),
           coalesce((SELECT jsonb_agg(jsonb_build_object(
                              'command', m.command, 'kind', m.kind, 'nodeId', m.node_id,
                              'objectNodeId', m.object_node_id) ORDER BY m.command)
                       FROM opcua_command_mappings m WHERE m.binding_id = c.id), '[]'::jsonb)
      FROM claimed c;
  END
  $$;

-- Extends the leases of the claims still valid and answers their tokens. A claim is gone once its binding was
-- saved again, disabled, deleted, or its device or tenant disabled: the holder then closes its session.
CREATE FUNCTION opcua_renew_claims(p_tokens uuid[], p_lease_ms integer) RETURNS SETOF uuid
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    UPDATE opcua_bindings b SET lease_until = now() + p_lease_ms * interval '1 millisecond'
      FROM devices d, tenants t
     WHERE b.claim_token = ANY (p_tokens) AND b.enabled
       AND d.id = b.device_id AND d.disabled_at IS NULL AND t.id = b.tenant_id AND t.disabled_at IS NULL
    RETURNING b.claim_token
  $$;

-- Gives bindings up (a server stopping), so another instance takes them at once.
CREATE FUNCTION opcua_release_claims(p_tokens uuid[]) RETURNS void
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    UPDATE opcua_bindings b
       SET claim_token = NULL, claimed_by = NULL, lease_until = NULL, state = 'idle', state_changed_at = now()
     WHERE b.claim_token = ANY (p_tokens)
  $$;

-- The holder's view of its session. An error is kept (with its time) until the next one; null leaves it.
CREATE FUNCTION opcua_record_state(
  p_token uuid, p_state text, p_error text, p_last_read_at timestamptz, p_failures integer, p_thumbprint text
) RETURNS boolean
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    UPDATE opcua_bindings b
       SET state = p_state,
           state_changed_at = CASE WHEN b.state IS DISTINCT FROM p_state THEN now() ELSE b.state_changed_at END,
           last_error = coalesce(left(p_error, 500), b.last_error),
           last_error_at = CASE WHEN p_error IS NULL THEN b.last_error_at ELSE now() END,
           last_read_at = greatest(b.last_read_at, p_last_read_at),
           consecutive_failures = p_failures,
           server_thumbprint = coalesce(p_thumbprint, b.server_thumbprint)
     WHERE b.claim_token = p_token;
    RETURN FOUND;
  END
  $$;

-- Pending commands of the devices whose bindings the caller holds: the holder's session carries them.
CREATE FUNCTION opcua_commands_pending(p_tokens uuid[], p_limit integer)
  RETURNS TABLE (tenant_id uuid, id uuid, device_id uuid, command text, params jsonb, claim_token uuid)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT c.tenant_id, c.id, c.device_id, c.command, c.params, b.claim_token
      FROM opcua_bindings b
      JOIN device_commands c ON c.device_id = b.device_id
     WHERE b.claim_token = ANY (p_tokens) AND c.state = 'pending' AND c.expires_at >= now()
     ORDER BY c.requested_at
     LIMIT p_limit
  $$;

-- The MQTT dispatcher publishes commands of MQTT devices only: connectors deliver their devices' own.
CREATE OR REPLACE FUNCTION device_commands_pending(p_device_id uuid, p_limit integer)
  RETURNS TABLE (tenant_id uuid, id uuid, device_id uuid, command text, params jsonb, expires_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT c.tenant_id, c.id, c.device_id, c.command, c.params, c.expires_at
      FROM device_commands c
      JOIN devices d ON d.id = c.device_id AND d.transport = 'mqtt'
     WHERE c.state = 'pending' AND c.expires_at >= now() AND (p_device_id IS NULL OR c.device_id = p_device_id)
     ORDER BY c.requested_at
     LIMIT p_limit
  $$;

DO $$
DECLARE
  f text;
BEGIN
  FOREACH f IN ARRAY ARRAY[
    'opcua_claim_bindings(text, integer, integer)', 'opcua_renew_claims(uuid[], integer)',
    'opcua_release_claims(uuid[])', 'opcua_record_state(uuid, text, text, timestamptz, integer, text)',
    'opcua_commands_pending(uuid[], integer)'
  ] LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO tidewatch_app', f);
  END LOOP;
END
$$;
