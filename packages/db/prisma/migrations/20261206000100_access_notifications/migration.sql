-- Authorization cached safely: every change to who may do what is announced on the channel tw_access, so each
-- server instance drops the principals it cached for that user, session or tenant at once. Payloads:
-- 'user:<id>', 'session:<id>', 'tenant:<id>'. PostgreSQL sends them at commit (never for a rolled-back change)
-- and folds identical payloads of one transaction into one.

CREATE FUNCTION access_notify_user() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    PERFORM pg_notify('tw_access', 'user:' || coalesce(NEW.user_id, OLD.user_id)::text);
    RETURN NULL;
  END
  $$;

CREATE FUNCTION access_notify_users() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    PERFORM pg_notify('tw_access', 'user:' || coalesce(NEW.id, OLD.id)::text);
    RETURN NULL;
  END
  $$;

CREATE FUNCTION access_notify_session() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    PERFORM pg_notify('tw_access', 'session:' || coalesce(NEW.id, OLD.id)::text);
    RETURN NULL;
  END
  $$;

CREATE FUNCTION access_notify_tenant() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    PERFORM pg_notify('tw_access', 'tenant:' || coalesce(NEW.id, OLD.id)::text);
    RETURN NULL;
  END
  $$;

CREATE FUNCTION access_notify_tenant_settings() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    PERFORM pg_notify('tw_access', 'tenant:' || coalesce(NEW.tenant_id, OLD.tenant_id)::text);
    RETURN NULL;
  END
  $$;

-- Only what a cached principal holds: sign-ins (last_login_at) and password hashes rehashed stay quiet.
CREATE TRIGGER users_access_changed AFTER UPDATE ON users FOR EACH ROW
  WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id
        OR OLD.disabled_at IS DISTINCT FROM NEW.disabled_at OR OLD.email IS DISTINCT FROM NEW.email
        OR OLD.display_name IS DISTINCT FROM NEW.display_name
        OR OLD.password_changed_at IS DISTINCT FROM NEW.password_changed_at
        OR OLD.must_change_password IS DISTINCT FROM NEW.must_change_password)
  EXECUTE FUNCTION access_notify_users();
CREATE TRIGGER users_access_removed AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION access_notify_users();

-- The once-a-minute activity write and token refreshes (last_used_at) stay quiet: a later last_active_at only
-- keeps a session alive longer than a cache assumes. An earlier one (set by hand) is announced.
CREATE TRIGGER sessions_access_changed AFTER UPDATE ON sessions FOR EACH ROW
  WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
        OR OLD.pending_step IS DISTINCT FROM NEW.pending_step OR OLD.user_id IS DISTINCT FROM NEW.user_id
        OR NEW.last_active_at < OLD.last_active_at)
  EXECUTE FUNCTION access_notify_session();
CREATE TRIGGER sessions_access_removed AFTER DELETE ON sessions FOR EACH ROW
  EXECUTE FUNCTION access_notify_session();

CREATE TRIGGER user_zones_access_changed AFTER INSERT OR UPDATE OR DELETE ON user_zones FOR EACH ROW
  EXECUTE FUNCTION access_notify_user();

CREATE TRIGGER tenants_access_changed AFTER UPDATE ON tenants FOR EACH ROW
  WHEN (OLD.disabled_at IS DISTINCT FROM NEW.disabled_at)
  EXECUTE FUNCTION access_notify_tenant();
CREATE TRIGGER tenants_access_removed AFTER DELETE ON tenants FOR EACH ROW EXECUTE FUNCTION access_notify_tenant();

-- Idle limits per role live here.
CREATE TRIGGER tenant_security_settings_access_changed AFTER UPDATE OR DELETE ON tenant_security_settings
  FOR EACH ROW EXECUTE FUNCTION access_notify_tenant_settings();

/*
 * Who is calling, with what a cache needs to decide the session's expiry and idle timeout itself until the next
 * read: the absolute expiry, the last recorded activity, the role's idle limit and the database's clock.
 */
DROP FUNCTION auth_principal(uuid, uuid, boolean);
CREATE FUNCTION auth_principal(p_user_id uuid, p_session_id uuid, p_touch boolean)
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
      UPDATE sessions SET last_active_at = now() WHERE id = p_session_id;
      last_active_at := now();
    END IF;
    user_id := r.id; tenant_id := r.tenant_id; role := r.role; email := r.email;
    display_name := r.display_name; zone_ids := r.zone_ids; active := r.active; pending_step := r.pending_step;
    expires_at := r.expires_at; idle_limit_ms := r.idle_limit_ms; db_now := now();
    RETURN NEXT;
  END
  $$;
REVOKE ALL ON FUNCTION auth_principal(uuid, uuid, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_principal(uuid, uuid, boolean) TO tidewatch_app;

/*
 * app_set_context for a request made on a session, after checking in the same transaction that the session may
 * still act: revoked, expired or idle sessions and disabled users or tenants are refused with SQLSTATE TW401
 * (answered 401), so a sign-out or a disabled account on another instance holds even for a principal cached a
 * moment ago. `app.zone_ids` carries the caller's zone grants (empty: every zone) for policies that want them.
 * One PL/pgSQL function (its plan is kept per connection) with the idle limit written out: this runs at the start
 * of every request's transaction.
 */
CREATE FUNCTION app_set_session_context(
  p_tenant_id uuid, p_user_id uuid, p_role text, p_session_id uuid, p_zone_ids uuid[]
) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    live boolean;
  BEGIN
    SELECT s.revoked_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL AND t.disabled_at IS NULL
           AND s.last_active_at > now() - CASE WHEN u.tenant_id IS NULL THEN interval '30 minutes'
             ELSE coalesce(make_interval(mins => (ss.idle_timeout_minutes ->> u.role::text)::int),
                           interval '30 minutes') END
      INTO live
      FROM sessions s
      JOIN users u ON u.id = s.user_id
      LEFT JOIN tenants t ON t.id = u.tenant_id
      LEFT JOIN tenant_security_settings ss ON ss.tenant_id = u.tenant_id
     WHERE s.id = p_session_id AND s.user_id = p_user_id;
    IF NOT coalesce(live, false) THEN
      RAISE EXCEPTION 'the session has ended' USING ERRCODE = 'TW401';
    END IF;
    -- Local to the transaction; only search_path is restored when this function returns.
    PERFORM set_config('app.tenant_id', coalesce(p_tenant_id::text, ''), true),
            set_config('app.user_id', coalesce(p_user_id::text, ''), true),
            set_config('app.role', coalesce(p_role, ''), true),
            set_config('app.zone_ids', coalesce(array_to_string(p_zone_ids, ','), ''), true);
  END
  $$;
REVOKE ALL ON FUNCTION app_set_session_context(uuid, uuid, text, uuid, uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_set_session_context(uuid, uuid, text, uuid, uuid[]) TO tidewatch_app;

REVOKE ALL ON FUNCTION access_notify_user() FROM PUBLIC;
REVOKE ALL ON FUNCTION access_notify_users() FROM PUBLIC;
REVOKE ALL ON FUNCTION access_notify_session() FROM PUBLIC;
REVOKE ALL ON FUNCTION access_notify_tenant() FROM PUBLIC;
REVOKE ALL ON FUNCTION access_notify_tenant_settings() FROM PUBLIC;
