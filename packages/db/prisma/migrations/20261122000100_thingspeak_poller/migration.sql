-- The ThingSpeak poller's state per binding, and the narrow SECURITY DEFINER functions it works through: the
-- poller serves every tenant, so it claims and records outside any tenant context, touching only binding rows.

-- last_entry_at: the time of last_entry_id, so a poll asks ThingSpeak only for what came after it.
-- next_poll_at: when the channel may be read again (poll interval, back-off or open circuit); null is now.
-- claim_token: the poll holding the channel; a result recorded under an older token is ignored.
ALTER TABLE thingspeak_bindings
  ADD COLUMN last_entry_at timestamptz,
  ADD COLUMN next_poll_at  timestamptz,
  ADD COLUMN claim_token   uuid;

CREATE INDEX thingspeak_bindings_due_idx ON thingspeak_bindings (next_poll_at NULLS FIRST) WHERE enabled;

-- Another channel starts from scratch, and a changed key or a re-enabled binding is worth trying at once.
CREATE FUNCTION thingspeak_binding_reset() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF NEW.channel_id IS DISTINCT FROM OLD.channel_id THEN
      NEW.last_entry_id := NULL;
      NEW.last_entry_at := NULL;
    END IF;
    IF NEW.channel_id IS DISTINCT FROM OLD.channel_id OR NEW.read_api_key IS DISTINCT FROM OLD.read_api_key
       OR (NEW.enabled AND NOT OLD.enabled) THEN
      NEW.consecutive_failures := 0;
      NEW.circuit_open_until := NULL;
      NEW.last_error := NULL;
      NEW.next_poll_at := NULL;
    END IF;
    RETURN NEW;
  END
  $$;

CREATE TRIGGER thingspeak_bindings_reset BEFORE UPDATE OF channel_id, read_api_key, enabled
  ON thingspeak_bindings FOR EACH ROW EXECUTE FUNCTION thingspeak_binding_reset();

-- Claims up to p_limit due channels for one poll each. The claim pushes next_poll_at a lease ahead, so a
-- poller that dies mid-poll leaves the channel to another after the lease, and SKIP LOCKED keeps two
-- instances from claiming the same row. last_polled_at is the time of the request, which the rate limit
-- counts from.
CREATE FUNCTION thingspeak_claim_due(p_limit integer, p_lease_ms integer)
  RETURNS TABLE (
    binding_id uuid, tenant_id uuid, device_id uuid, channel_id bigint, read_api_key text,
    poll_interval_s integer, last_entry_id bigint, last_entry_at timestamptz, consecutive_failures integer,
    claim_token uuid, fields jsonb
  )
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    RETURN QUERY
    WITH due AS (
      SELECT b.id
        FROM thingspeak_bindings b
        JOIN devices d ON d.id = b.device_id
        JOIN tenants t ON t.id = b.tenant_id
       WHERE b.enabled AND (b.next_poll_at IS NULL OR b.next_poll_at <= now())
         AND d.disabled_at IS NULL AND t.disabled_at IS NULL
         AND EXISTS (SELECT FROM thingspeak_field_mappings m WHERE m.binding_id = b.id)
       ORDER BY b.next_poll_at NULLS FIRST
       LIMIT p_limit
         FOR UPDATE OF b SKIP LOCKED
    ), claimed AS (
      UPDATE thingspeak_bindings b
         SET claim_token = gen_random_uuid(), last_polled_at = now(),
             next_poll_at = now() + p_lease_ms * interval '1 millisecond'
        FROM due WHERE b.id = due.id
      RETURNING b.*
    )
    SELECT c.id, c.tenant_id, c.device_id, c.channel_id, c.read_api_key, c.poll_interval_s, c.last_entry_id,
           c.last_entry_at, c.consecutive_failures, c.claim_token,
           (SELECT jsonb_agg(jsonb_build_object('field', m.field_number, 'seriesId', m.series_id,
                                                'metricKey', mt.key, 'scale', m.scale, 'offset', m."offset")
                             ORDER BY m.field_number)
              FROM thingspeak_field_mappings m
              JOIN series s ON s.id = m.series_id
              JOIN metrics mt ON mt.id = s.metric_id
             WHERE m.binding_id = c.id)
      FROM claimed c;
  END
  $$;

-- A poll whose readings are committed: the cursor moves on (never back), the circuit closes, and the next poll
-- is one interval after this one's request. False when the claim was lost (the lease ran out).
CREATE FUNCTION thingspeak_poll_succeeded(
  p_binding_id uuid, p_claim_token uuid, p_last_entry_id bigint, p_last_entry_at timestamptz
) RETURNS boolean
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    UPDATE thingspeak_bindings b
       SET last_entry_id = CASE WHEN p_last_entry_id > coalesce(b.last_entry_id, 0) THEN p_last_entry_id
                                ELSE b.last_entry_id END,
           last_entry_at = CASE WHEN p_last_entry_id > coalesce(b.last_entry_id, 0) THEN p_last_entry_at
                                ELSE b.last_entry_at END,
           consecutive_failures = 0, circuit_open_until = NULL, last_error = NULL, claim_token = NULL,
           next_poll_at = greatest(now(), b.last_polled_at + b.poll_interval_s * interval '1 second')
     WHERE b.id = p_binding_id AND b.claim_token = p_claim_token;
    RETURN FOUND;
  END
  $$;

-- A failed poll: the poller decides the back-off and whether the circuit opens; the cursor stays.
CREATE FUNCTION thingspeak_poll_failed(
  p_binding_id uuid, p_claim_token uuid, p_error text, p_failures integer, p_retry_in_ms bigint,
  p_circuit_open_ms bigint
) RETURNS boolean
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    UPDATE thingspeak_bindings b
       SET last_error = left(p_error, 500), consecutive_failures = p_failures, claim_token = NULL,
           circuit_open_until = CASE WHEN p_circuit_open_ms IS NULL THEN NULL
                                     ELSE now() + p_circuit_open_ms * interval '1 millisecond' END,
           next_poll_at = now() + greatest(p_retry_in_ms, coalesce(p_circuit_open_ms, 0)) * interval '1 millisecond'
     WHERE b.id = p_binding_id AND b.claim_token = p_claim_token;
    RETURN FOUND;
  END
  $$;

-- For the metrics endpoint: how many channels are not being polled because their circuit is open.
CREATE FUNCTION thingspeak_open_circuits() RETURNS integer
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT count(*)::integer FROM thingspeak_bindings WHERE enabled AND circuit_open_until > now()
  $$;

REVOKE ALL ON FUNCTION thingspeak_claim_due(integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION thingspeak_poll_succeeded(uuid, uuid, bigint, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION thingspeak_poll_failed(uuid, uuid, text, integer, bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION thingspeak_open_circuits() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION thingspeak_claim_due(integer, integer) TO tidewatch_app;
GRANT EXECUTE ON FUNCTION thingspeak_poll_succeeded(uuid, uuid, bigint, timestamptz) TO tidewatch_app;
GRANT EXECUTE ON FUNCTION thingspeak_poll_failed(uuid, uuid, text, integer, bigint, bigint) TO tidewatch_app;
GRANT EXECUTE ON FUNCTION thingspeak_open_circuits() TO tidewatch_app;
