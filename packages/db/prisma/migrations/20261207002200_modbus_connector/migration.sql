-- The Modbus TCP connector. An endpoint is one gateway address (host:port) of a tenant: the server keeps ONE
-- connection to it, held by one instance at a time through a lease, and sends the requests of every device
-- behind it (one unit id each) over that connection, one after the other. Back-off and the circuit are the
-- endpoint's; the poll schedule and the register map are each device's binding.

CREATE TABLE modbus_endpoints (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- An address, not a name: what the allow-list checks is what the connection goes to.
  host                 inet NOT NULL CHECK (masklen(host) = CASE WHEN family(host) = 4 THEN 32 ELSE 128 END),
  port                 integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
  -- The instance holding the connection, until lease_until; renewed on every tick while it lives.
  lease_holder         uuid,
  lease_until          timestamptz,
  connected            boolean NOT NULL DEFAULT false,
  last_connected_at    timestamptz,
  last_error           text,
  last_error_at        timestamptz,
  consecutive_failures integer NOT NULL DEFAULT 0,
  -- Back-off (or an open circuit's cool-down): no request before then.
  next_attempt_at      timestamptz,
  circuit_open_until   timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, host, port),
  UNIQUE (id, tenant_id)
);

CREATE TABLE modbus_bindings (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  device_id        uuid NOT NULL UNIQUE REFERENCES devices (id) ON DELETE CASCADE,
  endpoint_id      uuid NOT NULL,
  unit_id          smallint NOT NULL CHECK (unit_id BETWEEN 0 AND 255),
  poll_interval_ms integer NOT NULL DEFAULT 10000 CHECK (poll_interval_ms BETWEEN 1000 AND 86400000),
  timeout_ms       integer NOT NULL DEFAULT 2000 CHECK (timeout_ms BETWEEN 100 AND 30000),
  enabled          boolean NOT NULL DEFAULT true,
  -- When the device may be read again; null is now. claim_token: the poll holding it.
  next_poll_at     timestamptz,
  claim_token      uuid,
  last_polled_at   timestamptz,
  last_read_at     timestamptz,
  last_error       text,
  last_error_at    timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  -- The endpoint is always the binding's own tenant's.
  FOREIGN KEY (endpoint_id, tenant_id) REFERENCES modbus_endpoints (id, tenant_id)
);
CREATE INDEX modbus_bindings_endpoint_idx ON modbus_bindings (endpoint_id);

-- One value of the device: where it is (function, address), how its registers make a number, and its metric.
-- Coils and discrete inputs (functions 1, 2) are bits; registers (3, 4) are 16-bit words, two for 32-bit types.
CREATE TABLE modbus_registers (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  binding_id uuid NOT NULL REFERENCES modbus_bindings (id) ON DELETE CASCADE,
  series_id  integer NOT NULL REFERENCES series (id) ON DELETE CASCADE,
  function   smallint NOT NULL CHECK (function BETWEEN 1 AND 4),
  address    integer NOT NULL CHECK (address BETWEEN 0 AND 65535),
  data_type  text NOT NULL CHECK (data_type IN ('bool', 'int16', 'uint16', 'int32', 'uint32', 'float32')),
  word_order text NOT NULL DEFAULT 'big' CHECK (word_order IN ('big', 'little')),
  byte_order text NOT NULL DEFAULT 'big' CHECK (byte_order IN ('big', 'little')),
  scale      double precision NOT NULL DEFAULT 1 CHECK (scale <> 0),
  "offset"   double precision NOT NULL DEFAULT 0,
  writable   boolean NOT NULL DEFAULT false,
  CHECK ((function IN (1, 2)) = (data_type = 'bool')),
  CHECK (NOT writable OR function IN (1, 3)),
  CHECK (address + CASE WHEN data_type IN ('int32', 'uint32', 'float32') THEN 1 ELSE 0 END <= 65535),
  UNIQUE (binding_id, series_id)
);
CREATE INDEX modbus_registers_binding_idx ON modbus_registers (binding_id);

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['modbus_endpoints', 'modbus_bindings', 'modbus_registers'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())',
      t);
  END LOOP;
END
$$;

CREATE TRIGGER modbus_endpoints_touch_updated_at BEFORE UPDATE ON modbus_endpoints
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER modbus_bindings_touch_updated_at BEFORE UPDATE ON modbus_bindings
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

GRANT SELECT, INSERT, UPDATE, DELETE ON modbus_endpoints, modbus_bindings, modbus_registers TO tidewatch_app;

-- A changed binding is worth reading at once, and its last error no longer says anything.
CREATE FUNCTION modbus_binding_reset() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    NEW.next_poll_at := NULL;
    NEW.last_error := NULL;
    NEW.last_error_at := NULL;
    RETURN NEW;
  END
  $$;
CREATE TRIGGER modbus_bindings_reset BEFORE UPDATE OF endpoint_id, unit_id, poll_interval_ms, timeout_ms, enabled
  ON modbus_bindings FOR EACH ROW EXECUTE FUNCTION modbus_binding_reset();

-- The poller's side, as narrow SECURITY DEFINER functions: it serves every tenant, so it works outside a tenant
-- context, and each function touches only the endpoint, binding or command rows it names or holds.

-- Whether a binding has something to read: enabled, with registers, its device and tenant enabled.
CREATE FUNCTION modbus_binding_active(p_binding_id uuid) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT EXISTS (
      SELECT FROM modbus_bindings b
        JOIN devices d ON d.id = b.device_id
        JOIN tenants t ON t.id = b.tenant_id
       WHERE b.id = p_binding_id AND b.enabled AND d.disabled_at IS NULL AND t.disabled_at IS NULL
         AND EXISTS (SELECT FROM modbus_registers r WHERE r.binding_id = b.id))
  $$;

-- The endpoints `p_holder` holds after this call: its leases renewed, those with nothing left to read let go,
-- and free ones (never held, or whose holder's lease ran out) taken up to `p_limit` in all. SKIP LOCKED keeps
-- two instances from taking the same endpoint; a lease that ran out is another's to take.
CREATE FUNCTION modbus_claim_endpoints(p_holder uuid, p_limit integer, p_lease_ms integer)
  RETURNS TABLE (endpoint_id uuid, tenant_id uuid, host text, port integer, consecutive_failures integer)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  #variable_conflict use_column
  DECLARE
    lease interval := p_lease_ms * interval '1 millisecond';
    held integer;
  BEGIN
    UPDATE modbus_endpoints e
       SET lease_holder = NULL, lease_until = NULL, connected = false
     WHERE e.lease_holder = p_holder
       AND NOT EXISTS (SELECT FROM modbus_bindings b WHERE b.endpoint_id = e.id AND modbus_binding_active(b.id));
    UPDATE modbus_endpoints e SET lease_until = now() + lease
     WHERE e.lease_holder = p_holder AND e.lease_until > now();
    SELECT count(*) INTO held FROM modbus_endpoints e WHERE e.lease_holder = p_holder AND e.lease_until > now();
    WITH free AS (
      SELECT e.id FROM modbus_endpoints e
       WHERE (e.lease_holder IS NULL OR e.lease_until <= now())
         AND EXISTS (SELECT FROM modbus_bindings b WHERE b.endpoint_id = e.id AND modbus_binding_active(b.id))
       ORDER BY e.lease_until NULLS FIRST, e.id
       LIMIT greatest(p_limit - held, 0)
         FOR UPDATE OF e SKIP LOCKED
    )
    UPDATE modbus_endpoints e
       SET lease_holder = p_holder, lease_until = now() + lease, connected = false
      FROM free WHERE e.id = free.id;
    RETURN QUERY
      SELECT e.id, e.tenant_id, host(e.host), e.port, e.consecutive_failures FROM modbus_endpoints e
       WHERE e.lease_holder = p_holder AND e.lease_until > now();
  END
  $$;

-- A stopping instance lets its endpoints go, so another takes them at once instead of after the lease.
CREATE FUNCTION modbus_release_endpoints(p_holder uuid) RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    released integer;
  BEGIN
    UPDATE modbus_endpoints e SET lease_holder = NULL, lease_until = NULL, connected = false
     WHERE e.lease_holder = p_holder;
    GET DIAGNOSTICS released = ROW_COUNT;
    RETURN released;
  END
  $$;

-- The endpoint answered (or connected): its failures are forgotten and its circuit closes.
CREATE FUNCTION modbus_endpoint_ok(p_endpoint_id uuid, p_holder uuid) RETURNS boolean
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    UPDATE modbus_endpoints e
       SET connected = true, last_connected_at = now(), consecutive_failures = 0, next_attempt_at = NULL,
           circuit_open_until = NULL
     WHERE e.id = p_endpoint_id AND e.lease_holder = p_holder
       AND (NOT e.connected OR e.consecutive_failures > 0 OR e.last_connected_at < now() - interval '1 minute');
    RETURN FOUND;
  END
  $$;

-- The endpoint failed (no connection, a timeout, the connection dropped): the poller decides the back-off and
-- whether the circuit opens.
CREATE FUNCTION modbus_endpoint_failed(
  p_endpoint_id uuid, p_holder uuid, p_error text, p_failures integer, p_retry_in_ms bigint, p_circuit_open_ms bigint
) RETURNS boolean
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    UPDATE modbus_endpoints e
       SET connected = false, last_error = left(p_error, 500), last_error_at = now(),
           consecutive_failures = p_failures,
           circuit_open_until = CASE WHEN p_circuit_open_ms IS NULL THEN NULL
                                     ELSE now() + p_circuit_open_ms * interval '1 millisecond' END,
           next_attempt_at = now() + greatest(p_retry_in_ms, coalesce(p_circuit_open_ms, 0)) * interval '1 millisecond'
     WHERE e.id = p_endpoint_id AND e.lease_holder = p_holder;
    RETURN FOUND;
  END
  $$;

-- A binding's register map as the poller uses it.
CREATE FUNCTION modbus_binding_registers(p_binding_id uuid) RETURNS jsonb
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
             'seriesId', r.series_id, 'metricKey', mt.key, 'function', r.function, 'address', r.address,
             'type', r.data_type, 'wordOrder', r.word_order, 'byteOrder', r.byte_order, 'scale', r.scale,
             'offset', r."offset", 'writable', r.writable)
           ORDER BY r.function, r.address), '[]'::jsonb)
      FROM modbus_registers r
      JOIN series s ON s.id = r.series_id
      JOIN metrics mt ON mt.id = s.metric_id
     WHERE r.binding_id = p_binding_id
  $$;

-- Up to p_limit due bindings on endpoints `p_holder` holds and may talk to now, each held for one poll: the
-- claim pushes next_poll_at a lease ahead, so a poll that never reports leaves the device to the next one.
CREATE FUNCTION modbus_claim_due_bindings(p_holder uuid, p_limit integer, p_lease_ms integer)
  RETURNS TABLE (
    binding_id uuid, tenant_id uuid, device_id uuid, endpoint_id uuid, unit_id integer, timeout_ms integer,
    claim_token uuid, registers jsonb
  )
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    RETURN QUERY
    WITH due AS (
      SELECT b.id
        FROM modbus_bindings b
        JOIN modbus_endpoints e ON e.id = b.endpoint_id
       WHERE e.lease_holder = p_holder AND e.lease_until > now()
         AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= now())
         AND (b.next_poll_at IS NULL OR b.next_poll_at <= now())
         AND modbus_binding_active(b.id)
       ORDER BY b.next_poll_at NULLS FIRST
       LIMIT p_limit
         FOR UPDATE OF b SKIP LOCKED
    ), claimed AS (
      UPDATE modbus_bindings b
         SET claim_token = gen_random_uuid(), last_polled_at = now(),
             next_poll_at = now() + p_lease_ms * interval '1 millisecond'
        FROM due WHERE b.id = due.id
      RETURNING b.*
    )
    SELECT c.id, c.tenant_id, c.device_id, c.endpoint_id, c.unit_id::integer, c.timeout_ms, c.claim_token,
           modbus_binding_registers(c.id)
      FROM claimed c;
  END
  $$;

-- A poll whose readings are committed (p_error: registers that answered with an exception, the others stored):
-- the next poll is one interval after this one's claim. False when the claim was lost.
CREATE FUNCTION modbus_poll_succeeded(p_binding_id uuid, p_claim_token uuid, p_read_at timestamptz, p_error text)
  RETURNS boolean
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    UPDATE modbus_bindings b
       SET last_read_at = p_read_at, claim_token = NULL,
           last_error = left(p_error, 500), last_error_at = CASE WHEN p_error IS NULL THEN b.last_error_at ELSE now() END,
           next_poll_at = greatest(now(), b.last_polled_at + b.poll_interval_ms * interval '1 millisecond')
     WHERE b.id = p_binding_id AND b.claim_token = p_claim_token;
    RETURN FOUND;
  END
  $$;

CREATE FUNCTION modbus_poll_failed(p_binding_id uuid, p_claim_token uuid, p_error text, p_retry_in_ms bigint)
  RETURNS boolean
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    UPDATE modbus_bindings b
       SET claim_token = NULL, last_error = left(p_error, 500), last_error_at = now(),
           next_poll_at = now() + greatest(p_retry_in_ms, b.poll_interval_ms) * interval '1 millisecond'
     WHERE b.id = p_binding_id AND b.claim_token = p_claim_token;
    RETURN FOUND;
  END
  $$;

-- Pending commands of devices bound on endpoints `p_holder` holds and may talk to now, taken for delivery:
-- each is marked delivered (and audited) in the statement that hands it out, so it is written at most once.
CREATE FUNCTION modbus_take_commands(p_holder uuid, p_limit integer)
  RETURNS TABLE (
    tenant_id uuid, id uuid, device_id uuid, command text, params jsonb, endpoint_id uuid, unit_id integer,
    timeout_ms integer, registers jsonb
  )
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  #variable_conflict use_column
  BEGIN
    RETURN QUERY
    WITH due AS (
      SELECT c.id, b.id AS binding_id, b.endpoint_id, b.unit_id, b.timeout_ms
        FROM device_commands c
        JOIN modbus_bindings b ON b.device_id = c.device_id
        JOIN modbus_endpoints e ON e.id = b.endpoint_id
       WHERE c.state = 'pending' AND c.expires_at >= now()
         AND e.lease_holder = p_holder AND e.lease_until > now()
         AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= now())
         AND modbus_binding_active(b.id)
       ORDER BY c.requested_at
       LIMIT p_limit
         FOR UPDATE OF c SKIP LOCKED
    ), taken AS (
      UPDATE device_commands c SET state = 'delivered', delivered_at = now()
        FROM due WHERE c.id = due.id
      RETURNING c.tenant_id, c.id, c.device_id, c.command, c.params, due.binding_id, due.endpoint_id, due.unit_id,
                due.timeout_ms
    ), audited AS (
      INSERT INTO audit_log (tenant_id, actor_type, action, resource_type, resource_id, details)
      SELECT taken.tenant_id, 'system', 'command.deliver', 'device_command', taken.id::text,
             jsonb_build_object('deviceId', taken.device_id, 'command', taken.command, 'transport', 'modbus')
        FROM taken
    )
    SELECT taken.tenant_id, taken.id, taken.device_id, taken.command, taken.params, taken.endpoint_id,
           taken.unit_id::integer, taken.timeout_ms, modbus_binding_registers(taken.binding_id)
      FROM taken;
  END
  $$;

-- For the metrics endpoint: endpoints not talked to because their circuit is open.
CREATE FUNCTION modbus_open_circuits() RETURNS integer
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT count(*)::integer FROM modbus_endpoints WHERE circuit_open_until > now()
  $$;

-- HTTP devices fetch their own commands, so the MQTT dispatcher publishes only to MQTT devices; connector
-- transports deliver their own.
CREATE OR REPLACE FUNCTION device_commands_pending(p_device_id uuid, p_limit integer)
  RETURNS TABLE (tenant_id uuid, id uuid, device_id uuid, command text, params jsonb, expires_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT c.tenant_id, c.id, c.device_id, c.command, c.params, c.expires_at
      FROM device_commands c
      JOIN devices d ON d.id = c.device_id
     WHERE c.state = 'pending' AND c.expires_at >= now() AND d.transport = 'mqtt'
       AND (p_device_id IS NULL OR c.device_id = p_device_id)
     ORDER BY c.requested_at
     LIMIT p_limit
  $$;

-- Which of the HTTP devices waiting on this instance have a pending command (made on any instance): one
-- query for all of them, so the waits cost nothing per device.
CREATE FUNCTION device_commands_waiting(p_device_ids uuid[]) RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT DISTINCT c.device_id FROM device_commands c
     WHERE c.device_id = ANY (p_device_ids) AND c.state = 'pending' AND c.expires_at >= now()
  $$;

CREATE INDEX device_commands_pending_idx ON device_commands (device_id, requested_at) WHERE state = 'pending';

REVOKE ALL ON FUNCTION modbus_binding_active(uuid), modbus_binding_registers(uuid), modbus_claim_endpoints(uuid, integer, integer),
  modbus_release_endpoints(uuid), modbus_endpoint_ok(uuid, uuid),
  modbus_endpoint_failed(uuid, uuid, text, integer, bigint, bigint),
  modbus_claim_due_bindings(uuid, integer, integer), modbus_poll_succeeded(uuid, uuid, timestamptz, text),
  modbus_poll_failed(uuid, uuid, text, bigint), modbus_take_commands(uuid, integer), modbus_open_circuits(),
  device_commands_waiting(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION modbus_binding_active(uuid), modbus_binding_registers(uuid), modbus_claim_endpoints(uuid, integer, integer),
  modbus_release_endpoints(uuid), modbus_endpoint_ok(uuid, uuid),
  modbus_endpoint_failed(uuid, uuid, text, integer, bigint, bigint),
  modbus_claim_due_bindings(uuid, integer, integer), modbus_poll_succeeded(uuid, uuid, timestamptz, text),
  modbus_poll_failed(uuid, uuid, text, bigint), modbus_take_commands(uuid, integer), modbus_open_circuits(),
  device_commands_waiting(uuid[]) TO tidewatch_app;
