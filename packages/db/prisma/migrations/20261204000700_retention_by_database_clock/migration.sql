-- Retention that no clock of the application can fool. Every cutoff is computed here, from the database's own
-- now(), and the application passes only numbers of days, each refused below its floor. Even the database's clock
-- is not trusted alone: cutoffs are measured from the reference, the earlier of now() and the end of the newest
-- day holding a reading (a clock that jumps ahead does not age the data), and a run refuses any deletion that
-- would reach more than p_max_step_days beyond the cutoff: retention advances a little every hour, so a cutoff
-- that leaps (a clock jump, a mistyped setting) stops and waits for a person, while routine runs pass.
-- Alarm history and the audit log are never pruned here.

-- Floors keep the minimum any setting may ask for; ceilings bound what one tenant may make every tenant's
-- partitions wait for. The server's configuration and the API validate against the same numbers
-- (packages/shared `retentionLimits`; a test compares them).
CREATE FUNCTION retention_limits()
  RETURNS TABLE (name text, floor_days integer, ceiling_days integer)
  LANGUAGE sql IMMUTABLE
  AS $$
    VALUES ('raw', 7, 730),
           ('minute', 31, 3660),
           ('hour', 365, 3660),
           ('sessions', 1, 3660),
           ('notification_deliveries', 7, 3660),
           ('commands', 30, 3660),
           ('max_step', 1, 3660)
  $$;

CREATE FUNCTION retention_require(p_name text, p_days integer) RETURNS void
  LANGUAGE plpgsql IMMUTABLE
  AS $$
  DECLARE
    lim record;
  BEGIN
    SELECT * INTO STRICT lim FROM retention_limits() l WHERE l.name = p_name;
    IF p_days IS NULL OR p_days < lim.floor_days OR p_days > lim.ceiling_days THEN
      RAISE EXCEPTION 'retention "%" of % days is refused: it must be between % and % days',
        p_name, coalesce(p_days::text, 'null'), lim.floor_days, lim.ceiling_days
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
  END
  $$;

-- A tenant's own retention; null follows the server's setting. The flag records that a shorter setting was
-- made on purpose (through the API, audited): its next prune may go further back than the step allows.
ALTER TABLE tenants
  ADD COLUMN raw_retention_days integer CHECK (raw_retention_days BETWEEN 7 AND 730),
  ADD COLUMN minute_retention_days integer CHECK (minute_retention_days BETWEEN 31 AND 3660),
  ADD COLUMN hour_retention_days integer CHECK (hour_retention_days BETWEEN 365 AND 3660),
  ADD COLUMN retention_cut_pending boolean NOT NULL DEFAULT false;

-- Each tenant's effective retention in days (hour: null keeps hourly rollups forever). A coarser resolution
-- never goes before a finer one: the trend API picks its resolution by range, not by what is left.
CREATE FUNCTION tenant_retention_days(p_raw_days integer, p_minute_days integer, p_hour_days integer)
  RETURNS TABLE (tenant_id uuid, raw_days integer, minute_days integer, hour_days integer, cut_pending boolean)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT t.id, e.raw, greatest(e.minute, e.raw),
           CASE WHEN e.hour IS NULL THEN NULL ELSE greatest(e.hour, e.minute, e.raw) END,
           t.retention_cut_pending
      FROM tenants t
     CROSS JOIN LATERAL (
       SELECT coalesce(t.raw_retention_days, p_raw_days) AS raw,
              coalesce(t.minute_retention_days, p_minute_days) AS minute,
              coalesce(t.hour_retention_days, p_hour_days) AS hour
     ) e
  $$;

-- The moment retention is measured from: the database's now(), unless the newest day holding a reading ended
-- earlier (the clock jumped ahead, or nothing has arrived for a while): data does not age while none arrives.
CREATE FUNCTION telemetry_retention_reference() RETURNS timestamptz
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    part record;
    has_rows boolean;
  BEGIN
    FOR part IN
      SELECT c.relname, to_date(substr(c.relname, 12), 'YYYYMMDD') AS day
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'telemetry'::regclass
         AND c.relname ~ '^telemetry_p[0-9]{8}$'
         AND to_date(substr(c.relname, 12), 'YYYYMMDD')::timestamp AT TIME ZONE 'UTC' <= now()
       ORDER BY c.relname DESC
    LOOP
      EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', part.relname) INTO has_rows;
      IF has_rows THEN
        RETURN least(now(), (part.day + 1)::timestamp AT TIME ZONE 'UTC');
      END IF;
    END LOOP;
    RETURN now();
  END
  $$;

-- Daily raw and monthly 1-minute partitions with their UTC bounds.
CREATE FUNCTION telemetry_partitions()
  RETURNS TABLE (tier text, relname text, starts timestamptz, ends timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT 'telemetry', c.relname::text,
           to_date(substr(c.relname, 12), 'YYYYMMDD')::timestamp AT TIME ZONE 'UTC',
           (to_date(substr(c.relname, 12), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC'
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'telemetry'::regclass AND c.relname ~ '^telemetry_p[0-9]{8}$'
    UNION ALL
    SELECT 'telemetry_1m', c.relname::text,
           to_date(substr(c.relname, 15), 'YYYYMM')::timestamp AT TIME ZONE 'UTC',
           (to_date(substr(c.relname, 15), 'YYYYMM') + interval '1 month')::timestamp AT TIME ZONE 'UTC'
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'telemetry_1m'::regclass AND c.relname ~ '^telemetry_1m_p[0-9]{6}$'
  $$;

-- Drops the raw and 1-minute partitions that every tenant's retention has passed: a partition is shared, so it
-- waits for the longest retention of any tenant (bounded by the ceilings). If a partition due to go holds
-- readings and ended more than p_max_step_days before its cutoff, nothing is dropped and `refused` says why.
CREATE FUNCTION telemetry_drop_expired(p_raw_days integer, p_minute_days integer, p_max_step_days integer)
  RETURNS jsonb
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    reference timestamptz;
    step interval := make_interval(days => p_max_step_days);
    raw_cutoff timestamptz;
    minute_cutoff timestamptz;
    horizon record;
    part record;
    has_rows boolean;
    dropped text[] := '{}';
    refused jsonb := '[]';
  BEGIN
    PERFORM retention_require('raw', p_raw_days);
    PERFORM retention_require('minute', p_minute_days);
    PERFORM retention_require('max_step', p_max_step_days);
    -- Two instances running the job at once would race to drop the same tables.
    PERFORM pg_advisory_xact_lock(hashtext('tidewatch.telemetry_drop_expired'));
    reference := telemetry_retention_reference();
    SELECT reference - make_interval(days => greatest(p_raw_days, max(r.raw_days))),
           reference - make_interval(days => greatest(p_minute_days, p_raw_days, max(r.minute_days)))
      INTO raw_cutoff, minute_cutoff
      FROM tenant_retention_days(p_raw_days, p_minute_days, NULL) r;
    -- First the guard, for both tiers: if either refuses, nothing is dropped. Empty partitions (made ahead, or
    -- for days nothing arrived) may go whenever they are due.
    FOR horizon IN
      SELECT * FROM (VALUES ('telemetry', raw_cutoff), ('telemetry_1m', minute_cutoff)) AS h (name, cutoff)
    LOOP
      FOR part IN
        SELECT p.relname, p.ends FROM telemetry_partitions() p
         WHERE p.tier = horizon.name AND p.ends <= horizon.cutoff - step ORDER BY p.relname
      LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', part.relname) INTO has_rows;
        IF has_rows THEN
          refused := refused || jsonb_build_object(
            'scope', horizon.name, 'cutoff', horizon.cutoff,
            'reason', format('readings in a partition ending %s would go, more than %s days before the cutoff %s',
                             part.ends, p_max_step_days, horizon.cutoff));
          EXIT;
        END IF;
      END LOOP;
    END LOOP;
    IF jsonb_array_length(refused) = 0 THEN
      FOR part IN
        SELECT p.relname FROM telemetry_partitions() p
         WHERE (p.tier = 'telemetry' AND p.ends <= raw_cutoff) OR (p.tier = 'telemetry_1m' AND p.ends <= minute_cutoff)
         ORDER BY p.relname
      LOOP
        EXECUTE format('DROP TABLE %I', part.relname);
        dropped := dropped || part.relname;
      END LOOP;
    END IF;
    RETURN jsonb_build_object('reference', reference, 'dropped', to_jsonb(dropped), 'refused', refused);
  END
  $$;

-- Deletes, at most p_limit rows per call, the readings and rollups of tenants whose retention is shorter than
-- what the shared partitions keep, and hourly rollups past each tenant's hourly retention. The caller repeats it
-- (one transaction per call) until `done`. A tenant whose deletion would reach more than p_max_step_days before
-- its cutoff is left alone and listed in `refused`, unless it shortened its retention on purpose.
CREATE FUNCTION telemetry_prune_tenants(
  p_raw_days integer, p_minute_days integer, p_hour_days integer, p_max_step_days integer, p_limit integer
) RETURNS jsonb
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    reference timestamptz;
    step interval := make_interval(days => p_max_step_days);
    horizon_raw integer;
    horizon_minute integer;
    target record;
    part record;
    series_ids integer[];
    cutoff timestamptz;
    too_far boolean;
    remaining integer := p_limit;
    n integer;
    deleted jsonb := '{"telemetry": 0, "telemetry_1m": 0, "telemetry_1h": 0}';
    refused jsonb := '[]';
    touched uuid[] := '{}';
  BEGIN
    PERFORM retention_require('raw', p_raw_days);
    PERFORM retention_require('minute', p_minute_days);
    IF p_hour_days IS NOT NULL THEN
      PERFORM retention_require('hour', p_hour_days);
    END IF;
    PERFORM retention_require('max_step', p_max_step_days);
    IF p_limit < 1 THEN
      RAISE EXCEPTION 'p_limit must be positive' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    reference := telemetry_retention_reference();
    SELECT greatest(p_raw_days, max(r.raw_days)), greatest(p_minute_days, p_raw_days, max(r.minute_days))
      INTO horizon_raw, horizon_minute
      FROM tenant_retention_days(p_raw_days, p_minute_days, p_hour_days) r;
    FOR target IN
      SELECT 'telemetry' AS tier, 'time' AS col, r.tenant_id, r.raw_days AS days, r.cut_pending
        FROM tenant_retention_days(p_raw_days, p_minute_days, p_hour_days) r WHERE r.raw_days < horizon_raw
      UNION ALL
      SELECT 'telemetry_1m', 'bucket', r.tenant_id, r.minute_days, r.cut_pending
        FROM tenant_retention_days(p_raw_days, p_minute_days, p_hour_days) r WHERE r.minute_days < horizon_minute
      UNION ALL
      SELECT 'telemetry_1h', 'bucket', r.tenant_id, r.hour_days, r.cut_pending
        FROM tenant_retention_days(p_raw_days, p_minute_days, p_hour_days) r WHERE r.hour_days IS NOT NULL
      ORDER BY 1, 3
    LOOP
      cutoff := reference - make_interval(days => target.days);
      SELECT coalesce(array_agg(s.id), '{}') INTO series_ids FROM series s WHERE s.tenant_id = target.tenant_id;
      IF cardinality(series_ids) = 0 THEN
        CONTINUE;
      END IF;
      IF NOT target.cut_pending THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE series_id = ANY ($1) AND %I < $2)',
                       target.tier, target.col)
          INTO too_far USING series_ids, cutoff - step;
        IF too_far THEN
          refused := refused || jsonb_build_object(
            'scope', target.tier, 'tenantId', target.tenant_id, 'cutoff', cutoff,
            'reason', format('rows older than %s days before the cutoff %s would go', p_max_step_days, cutoff));
          CONTINUE;
        END IF;
      END IF;
      touched := touched || target.tenant_id;
      -- Partition by partition, so each batch is a TID scan of one table (a ctid is unique only within one).
      -- Past the guard nothing of the tenant is older than cutoff - step: only the partitions after it remain.
      FOR part IN
        SELECT p.relname FROM telemetry_partitions() p
         WHERE p.tier = target.tier AND p.starts < cutoff
           AND (target.cut_pending OR p.ends > cutoff - step)
        UNION ALL
        SELECT 'telemetry_1h' WHERE target.tier = 'telemetry_1h'
        ORDER BY 1
      LOOP
        EXIT WHEN remaining = 0;
        EXECUTE format(
          'DELETE FROM %1$I WHERE ctid = ANY (ARRAY(
             SELECT ctid FROM %1$I WHERE series_id = ANY ($1) AND %2$I < $2 LIMIT $3))', part.relname, target.col)
          USING series_ids, cutoff, remaining;
        GET DIAGNOSTICS n = ROW_COUNT;
        remaining := remaining - n;
        deleted := jsonb_set(deleted, ARRAY[target.tier], to_jsonb((deleted ->> target.tier)::integer + n));
      END LOOP;
      EXIT WHEN remaining = 0;
    END LOOP;
    IF remaining > 0 THEN
      -- Everything due is gone: a shorter setting made on purpose has been applied.
      UPDATE tenants SET retention_cut_pending = false
       WHERE retention_cut_pending AND id = ANY (touched);
    END IF;
    RETURN jsonb_build_object('reference', reference, 'deleted', deleted, 'refused', refused,
                              'done', remaining > 0);
  END
  $$;

-- Operational records past their time: sessions that ended (expired or revoked; their refresh tokens go with
-- them), notification deliveries that were delivered or failed, and commands that were answered, failed or
-- expired, each older than its period before the reference. Pending work is never touched. At most p_limit rows
-- per call; the caller repeats it until `done`.
CREATE FUNCTION records_prune(
  p_sessions_days integer, p_deliveries_days integer, p_commands_days integer, p_limit integer
) RETURNS jsonb
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    reference timestamptz;
    sessions_n integer;
    deliveries_n integer;
    commands_n integer;
  BEGIN
    PERFORM retention_require('sessions', p_sessions_days);
    PERFORM retention_require('notification_deliveries', p_deliveries_days);
    PERFORM retention_require('commands', p_commands_days);
    reference := telemetry_retention_reference();
    DELETE FROM sessions WHERE id = ANY (ARRAY(
      SELECT id FROM sessions
       WHERE least(revoked_at, expires_at) < reference - make_interval(days => p_sessions_days)
       LIMIT p_limit));
    GET DIAGNOSTICS sessions_n = ROW_COUNT;
    DELETE FROM notification_outbox WHERE id = ANY (ARRAY(
      SELECT id FROM notification_outbox
       WHERE state IN ('delivered', 'failed')
         AND created_at < reference - make_interval(days => p_deliveries_days)
       LIMIT p_limit));
    GET DIAGNOSTICS deliveries_n = ROW_COUNT;
    DELETE FROM device_commands WHERE id = ANY (ARRAY(
      SELECT id FROM device_commands
       WHERE state IN ('acknowledged', 'failed', 'expired')
         AND requested_at < reference - make_interval(days => p_commands_days)
       LIMIT p_limit));
    GET DIAGNOSTICS commands_n = ROW_COUNT;
    RETURN jsonb_build_object(
      'reference', reference,
      'deleted', jsonb_build_object('sessions', sessions_n, 'notificationDeliveries', deliveries_n,
                                    'commands', commands_n),
      'done', sessions_n < p_limit AND deliveries_n < p_limit AND commands_n < p_limit);
  END
  $$;

CREATE INDEX sessions_ended_idx ON sessions ((least(revoked_at, expires_at)));
CREATE INDEX notification_outbox_finished_idx ON notification_outbox (created_at)
  WHERE state IN ('delivered', 'failed');
CREATE INDEX device_commands_finished_idx ON device_commands (requested_at)
  WHERE state IN ('acknowledged', 'failed', 'expired');

-- The old drop took dates from the application's clock; nothing may call it any more.
DROP FUNCTION telemetry_drop_partitions(date, date, date);

REVOKE ALL ON FUNCTION retention_limits(), retention_require(text, integer),
  tenant_retention_days(integer, integer, integer), telemetry_retention_reference(), telemetry_partitions(),
  telemetry_drop_expired(integer, integer, integer),
  telemetry_prune_tenants(integer, integer, integer, integer, integer),
  records_prune(integer, integer, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention_limits(), telemetry_retention_reference(),
  telemetry_drop_expired(integer, integer, integer),
  telemetry_prune_tenants(integer, integer, integer, integer, integer),
  records_prune(integer, integer, integer, integer) TO tidewatch_app;
