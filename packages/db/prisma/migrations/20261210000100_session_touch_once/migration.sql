-- The once-a-minute activity write of a session touches it once, however many requests ask at the same moment:
-- the UPDATE itself checks that the minute has passed. Checked only beforehand, every request that read the old
-- value waited for the row lock and then wrote again, one commit (and WAL flush) after another, holding a pool
-- connection each: at a thousand requests a second, a stall of a few hundred milliseconds once a minute.
CREATE OR REPLACE FUNCTION auth_principal(p_user_id uuid, p_session_id uuid, p_touch boolean)
  RETURNS TABLE (
    user_id uuid, tenant_id uuid, role user_role, email text, display_name text, zone_ids uuid[],
    active boolean, pending_step text, expires_at timestamptz, last_active_at timestamptz,
    idle_limit_ms bigint, db_now timestamptz
  )
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    r record;
  BEGIN
    SELECT u.id, u.tenant_id, u.role, u.email::text AS email, u.display_name,
           coalesce((SELECT array_agg(z.zone_id ORDER BY z.zone_id) FROM user_zones z WHERE z.user_id = u.id),
                    '{}') AS zone_ids,
           u.disabled_at IS NULL AND t.disabled_at IS NULL
             AND s.revoked_at IS NULL AND s.expires_at > now()
             AND s.last_active_at > now() - l.idle_limit AS active,
           s.pending_step, s.last_active_at, s.expires_at,
           (extract(epoch FROM l.idle_limit) * 1000)::bigint AS idle_limit_ms
      INTO r
      FROM users u
      JOIN sessions s ON s.id = p_session_id AND s.user_id = u.id
      LEFT JOIN tenants t ON t.id = u.tenant_id
      CROSS JOIN LATERAL (SELECT auth_idle_limit(u.tenant_id, u.role) AS idle_limit) l
     WHERE u.id = p_user_id;
    IF NOT FOUND THEN
      RETURN;
    END IF;
    last_active_at := r.last_active_at;
    -- Only a live session is touched: an idle one stays ended.
    IF p_touch AND r.active AND r.last_active_at < now() - interval '1 minute' THEN
      UPDATE sessions s SET last_active_at = now()
       WHERE s.id = p_session_id AND s.last_active_at < now() - interval '1 minute';
      last_active_at := now();
    END IF;
    user_id := r.id; tenant_id := r.tenant_id; role := r.role; email := r.email;
    display_name := r.display_name; zone_ids := r.zone_ids; active := r.active; pending_step := r.pending_step;
    expires_at := r.expires_at; idle_limit_ms := r.idle_limit_ms; db_now := now();
    RETURN NEXT;
  END
  $$;
