-- Device connectivity and downlink commands: the work that spans tenants (the silence sweep, command expiry,
-- the delivery backlog, the external broker's credential file) as narrow SECURITY DEFINER functions, and a
-- second hash of each device secret in the format an external Mosquitto broker verifies.

-- Mosquitto checks passwords itself, against PBKDF2-SHA512 ("$7$") hashes; argon2 stays the server's own.
-- Both are made when a secret is issued, since neither can be derived from the other later.
ALTER TABLE devices ADD COLUMN broker_password_hash text
  CHECK (broker_password_hash IS NULL OR broker_password_hash LIKE '$7$%');

-- Devices that were online and have said nothing since `p_cutoff` go offline, each with an open downtime.
-- Idempotent and safe to run on several instances at once: only rows that actually change are returned.
CREATE FUNCTION device_mark_silent_offline(p_cutoff timestamptz)
  RETURNS TABLE (tenant_id uuid, device_id uuid, last_seen_at timestamptz)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  #variable_conflict use_column
  BEGIN
    RETURN QUERY
    WITH silent AS (
      UPDATE device_states s SET connectivity = 'offline', changed_at = now()
       WHERE s.connectivity = 'online' AND s.last_seen_at < p_cutoff
      RETURNING s.tenant_id, s.device_id, s.last_seen_at
    ), opened AS (
      INSERT INTO device_downtimes (tenant_id, device_id, started_at, reason)
      SELECT silent.tenant_id, silent.device_id, silent.last_seen_at, 'silence'
        FROM silent
      ON CONFLICT (device_id) WHERE ended_at IS NULL DO NOTHING
    )
    SELECT silent.tenant_id, silent.device_id, silent.last_seen_at FROM silent;
  END
  $$;

-- Commands past their expiry that were never answered. Each change is audited in the same statement.
CREATE FUNCTION device_commands_expire()
  RETURNS TABLE (tenant_id uuid, id uuid, device_id uuid)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  #variable_conflict use_column
  BEGIN
    RETURN QUERY
    WITH expired AS (
      UPDATE device_commands c SET state = 'expired', failure_reason = 'not answered before it expired'
       WHERE c.state IN ('pending', 'delivered') AND c.expires_at < now()
      RETURNING c.tenant_id, c.id, c.device_id, c.command
    ), audited AS (
      INSERT INTO audit_log (tenant_id, actor_type, action, resource_type, resource_id, details)
      SELECT expired.tenant_id, 'system', 'command.expire', 'device_command', expired.id::text,
             jsonb_build_object('deviceId', expired.device_id, 'command', expired.command)
        FROM expired
    )
    SELECT expired.tenant_id, expired.id, expired.device_id FROM expired;
  END
  $$;

-- Commands still waiting to be published (after a restart, or for a device that just came back).
CREATE FUNCTION device_commands_pending(p_device_id uuid, p_limit integer)
  RETURNS TABLE (tenant_id uuid, id uuid, device_id uuid, command text, params jsonb, expires_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT c.tenant_id, c.id, c.device_id, c.command, c.params, c.expires_at
      FROM device_commands c
     WHERE c.state = 'pending' AND c.expires_at >= now() AND (p_device_id IS NULL OR c.device_id = p_device_id)
     ORDER BY c.requested_at
     LIMIT p_limit
  $$;

REVOKE ALL ON FUNCTION device_mark_silent_offline(timestamptz), device_commands_expire(),
  device_commands_pending(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION device_mark_silent_offline(timestamptz), device_commands_expire(),
  device_commands_pending(uuid, integer) TO tidewatch_app;
