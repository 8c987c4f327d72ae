-- A request's transaction confirms the principal it acts as, not only that its session is live.
--
-- The principal cache is told of changes through LISTEN/NOTIFY, and an announcement reaches another instance a
-- moment after the commit that made it: a request arriving there in that moment still held the old role, home
-- tenant or zone grants. Now app_set_session_context compares them with the database in the transaction's own
-- snapshot and refuses a mismatch with SQLSTATE TW409, before anything in the transaction ran; the server then
-- reads the principal again and judges the request anew. Zone grants are compared as sets (the order a caller
-- kept them in does not matter).
CREATE OR REPLACE FUNCTION app_set_session_context(
  p_tenant_id uuid, p_user_id uuid, p_role text, p_session_id uuid, p_zone_ids uuid[]
) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    live boolean;
    current_role_name text;
    home_tenant uuid;
  BEGIN
    SELECT s.revoked_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL AND t.disabled_at IS NULL
           AND s.last_active_at > now() - CASE WHEN u.tenant_id IS NULL THEN interval '30 minutes'
             ELSE coalesce(make_interval(mins => (ss.idle_timeout_minutes ->> u.role::text)::int),
                           interval '30 minutes') END,
           u.role::text, u.tenant_id
      INTO live, current_role_name, home_tenant
      FROM sessions s
      JOIN users u ON u.id = s.user_id
      LEFT JOIN tenants t ON t.id = u.tenant_id
      LEFT JOIN tenant_security_settings ss ON ss.tenant_id = u.tenant_id
     WHERE s.id = p_session_id AND s.user_id = p_user_id;
    IF NOT coalesce(live, false) THEN
      RAISE EXCEPTION 'the session has ended' USING ERRCODE = 'TW401';
    END IF;
    -- A user without a home tenant (super_admin) acts in the tenant they chose; anyone else in their own, or in
    -- none (reads that row-level security would otherwise confine to one tenant).
    IF current_role_name IS DISTINCT FROM p_role
       OR (home_tenant IS NOT NULL AND p_tenant_id IS NOT NULL AND home_tenant <> p_tenant_id)
       OR coalesce((SELECT array_agg(z.zone_id ORDER BY z.zone_id) FROM user_zones z WHERE z.user_id = p_user_id),
                   '{}')
          <> coalesce((SELECT array_agg(DISTINCT g ORDER BY g) FROM unnest(p_zone_ids) g), '{}') THEN
      RAISE EXCEPTION 'the caller''s role, tenant or zones changed' USING ERRCODE = 'TW409';
    END IF;
    -- Local to the transaction; only search_path is restored when this function returns.
    PERFORM set_config('app.tenant_id', coalesce(p_tenant_id::text, ''), true),
            set_config('app.user_id', coalesce(p_user_id::text, ''), true),
            set_config('app.role', coalesce(p_role, ''), true),
            set_config('app.zone_ids', coalesce(array_to_string(p_zone_ids, ','), ''), true);
  END
  $$;
