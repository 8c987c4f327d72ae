-- Accounts as ASVS Level 2 asks: throttled sign-in instead of lockout, temporary passwords, sign-in steps
-- (second factor, forced password change, enrolment), idle timeouts per role, TOTP with recovery codes, and the
-- same e-mail allowed in several tenants.

-- E-mail addresses are unique per tenant (and among platform accounts), so creating a user never tells a tenant
-- admin that the address exists elsewhere. Sign-in names the tenant when an address is in several.
ALTER TABLE users DROP CONSTRAINT users_email_key;
CREATE UNIQUE INDEX users_tenant_email_key ON users (tenant_id, email) WHERE tenant_id IS NOT NULL;
CREATE UNIQUE INDEX users_platform_email_key ON users (email) WHERE tenant_id IS NULL;
CREATE INDEX users_email_idx ON users (email);

-- Lockout is gone (a remote denial of service that also told which accounts exist); see login_throttles.
DROP FUNCTION auth_login_candidate(text);
ALTER TABLE users DROP COLUMN failed_login_count, DROP COLUMN locked_until;
-- Set with every password an administrator chooses: the user must pick their own at the next sign-in.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

-- A session may still owe a sign-in step; only that step's routes answer until it is done.
ALTER TABLE sessions
  ADD COLUMN pending_step text CHECK (pending_step IN ('second_factor', 'password_change', 'second_factor_enrolment')),
  -- Requests the user made (not background polls or token refreshes): what the idle timeout measures.
  ADD COLUMN last_active_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN second_factor_at timestamptz,
  -- Wrong codes and wrong current passwords given on this session; too many end it.
  ADD COLUMN step_failures integer NOT NULL DEFAULT 0 CHECK (step_failures >= 0);

-- Per tenant: who must use a second factor, and how long each role's sessions may sit idle (minutes).
CREATE TABLE tenant_security_settings (
  tenant_id            uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  totp_required_roles  user_role[] NOT NULL DEFAULT '{}' CHECK (NOT ('super_admin' = ANY (totp_required_roles))),
  -- Control-room shifts run 12 hours: operators stay signed in through one; those who can change more, less.
  idle_timeout_minutes jsonb NOT NULL DEFAULT
    '{"viewer": 720, "operator": 720, "maintenance": 720, "supervisor": 240, "tenant_admin": 30}'
    CHECK (jsonb_typeof(idle_timeout_minutes) = 'object'),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER tenant_security_settings_touch_updated_at BEFORE UPDATE ON tenant_security_settings
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
INSERT INTO tenant_security_settings (tenant_id) SELECT id FROM tenants;

/* Every tenant has its settings row from the start (the defaults above). */
CREATE FUNCTION tenant_security_settings_create() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    INSERT INTO tenant_security_settings (tenant_id) VALUES (NEW.id);
    RETURN NEW;
  END
  $$;
CREATE TRIGGER tenants_security_settings AFTER INSERT ON tenants
  FOR EACH ROW EXECUTE FUNCTION tenant_security_settings_create();

-- One TOTP authenticator per user. The secret is sealed by the server (secrets at rest) before it is stored. Recovery codes are
-- SHA-256 hashes of 80-bit random codes; using one removes it.
CREATE TABLE user_totp (
  user_id              uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  tenant_id            uuid REFERENCES tenants (id) ON DELETE CASCADE,
  secret_sealed        text NOT NULL,
  -- Null while enrolment waits for the first code.
  confirmed_at         timestamptz,
  -- The newest 30-second step a code was accepted for: the same code (or an older one) never works twice.
  last_used_step       bigint NOT NULL DEFAULT 0,
  recovery_code_hashes bytea[] NOT NULL DEFAULT '{}',
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_totp_tenant_idx ON user_totp (tenant_id);
CREATE TRIGGER user_totp_touch_updated_at BEFORE UPDATE ON user_totp
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

ALTER TABLE tenant_security_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_security_settings
  USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
ALTER TABLE user_totp ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON user_totp
  USING (user_id = app_user_id() OR tenant_id = app_tenant_id())
  WITH CHECK (user_id = app_user_id() OR tenant_id = app_tenant_id());
GRANT SELECT, UPDATE ON tenant_security_settings TO tidewatch_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON user_totp TO tidewatch_app;

-- Sign-in throttling --------------------------------------------------------------------------------------------
-- Failures counted per key: an (e-mail, address) pair, an address, an e-mail (whether or not it has an account).
-- Keys are SHA-256 digests made by the server. Only the functions below read or write these two tables.
CREATE TABLE login_throttles (
  key               bytea PRIMARY KEY,
  failures          integer NOT NULL CHECK (failures > 0),
  window_started_at timestamptz NOT NULL,
  blocked_until     timestamptz
);
CREATE INDEX login_throttles_window_idx ON login_throttles (window_started_at);

-- Where each account signed in successfully: the per-account slow-down does not apply there, so an attack on an
-- account from elsewhere cannot keep its owner out from their usual place.
CREATE TABLE login_known_addresses (
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  address         text NOT NULL,
  last_success_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, address)
);

/* The idle limit of a role's sessions in a tenant; platform administrators: 30 minutes. */
CREATE FUNCTION auth_idle_limit(p_tenant_id uuid, p_role user_role) RETURNS interval
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT CASE WHEN p_tenant_id IS NULL THEN interval '30 minutes'
           ELSE coalesce(
             (SELECT make_interval(mins => (s.idle_timeout_minutes ->> p_role::text)::int)
                FROM tenant_security_settings s WHERE s.tenant_id = p_tenant_id),
             interval '30 minutes')
           END
  $$;

/*
 * The account an e-mail (and optionally a tenant's slug) names, for checking a password. Without a slug: the
 * platform account with that address if there is one, otherwise the tenant account if exactly one tenant has
 * the address; an address in several tenants needs the slug. Returns no row otherwise, as for an unknown e-mail.
 */
CREATE FUNCTION auth_login_candidate(p_email text, p_tenant_slug text)
  RETURNS TABLE (
    user_id uuid, tenant_id uuid, role user_role, password_hash text, disabled boolean,
    must_change_password boolean, totp_enabled boolean, totp_required boolean
  )
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    RETURN QUERY
    WITH matches AS (
      SELECT u.*, t.slug, t.disabled_at AS tenant_disabled_at
        FROM users u LEFT JOIN tenants t ON t.id = u.tenant_id
       WHERE u.email = p_email::citext
         AND (p_tenant_slug IS NULL OR t.slug = p_tenant_slug)
    ),
    chosen AS (
      SELECT m.* FROM matches m
       WHERE p_tenant_slug IS NOT NULL
          OR m.tenant_id IS NULL
          OR (NOT EXISTS (SELECT 1 FROM matches p WHERE p.tenant_id IS NULL)
              AND (SELECT count(*) FROM matches) = 1)
    )
    SELECT c.id, c.tenant_id, c.role, c.password_hash,
           c.disabled_at IS NOT NULL OR c.tenant_disabled_at IS NOT NULL,
           c.must_change_password,
           EXISTS (SELECT 1 FROM user_totp x WHERE x.user_id = c.id AND x.confirmed_at IS NOT NULL),
           coalesce((SELECT c.role = ANY (s.totp_required_roles)
                       FROM tenant_security_settings s WHERE s.tenant_id = c.tenant_id), false)
      FROM chosen c;
  END
  $$;

/*
 * Whether a sign-in attempt may be evaluated at all: not while its (e-mail, address) pair is blocked, nor while
 * its address (spraying) or its e-mail (a distributed attack) is, unless the account signed in from this address
 * within 90 days: a control room behind one address, or an account attacked from elsewhere, is not kept out of
 * its own desk by what others do. The pair's own hold applies to everyone.
 */
CREATE FUNCTION auth_login_throttled(
  p_pair bytea, p_address_key bytea, p_account bytea, p_user_id uuid, p_address text
) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT EXISTS (SELECT 1 FROM login_throttles WHERE key = p_pair AND blocked_until > now())
        OR (EXISTS (SELECT 1 FROM login_throttles
                     WHERE key IN (p_address_key, p_account) AND blocked_until > now())
            AND NOT EXISTS (SELECT 1 FROM login_known_addresses
                             WHERE user_id = p_user_id AND address = p_address
                               AND last_success_at > now() - interval '90 days'))
  $$;

/*
 * Counts one failure against each key. Within `p_window_s` of a key's first failure its count grows; from
 * `threshold` failures on, the key is blocked for `base` seconds, doubling with each further failure up to
 * `max`. A quiet window starts the count again. Policies: {threshold, base_s, max_s} per key, in order.
 */
CREATE FUNCTION auth_login_failed(p_keys bytea[], p_policies integer[], p_window_s integer) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    i integer;
  BEGIN
    FOR i IN 1 .. array_length(p_keys, 1) LOOP
      INSERT INTO login_throttles AS l (key, failures, window_started_at)
        VALUES (p_keys[i], 1, now())
      ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN l.window_started_at < now() - make_interval(secs => p_window_s)
                             AND coalesce(l.blocked_until, '-infinity') < now()
                        THEN 1 ELSE l.failures + 1 END,
        window_started_at = CASE WHEN l.window_started_at < now() - make_interval(secs => p_window_s)
                                      AND coalesce(l.blocked_until, '-infinity') < now()
                                 THEN now() ELSE l.window_started_at END;
      UPDATE login_throttles l
         SET blocked_until = now() + make_interval(secs => least(
               p_policies[i][3]::double precision,
               p_policies[i][2] * power(2, l.failures - p_policies[i][1])))
       WHERE l.key = p_keys[i] AND l.failures >= p_policies[i][1];
    END LOOP;
    -- What no longer counts for anything goes, a little at a time.
    DELETE FROM login_throttles WHERE key IN (
      SELECT key FROM login_throttles
       WHERE window_started_at < now() - make_interval(secs => p_window_s) * 2
         AND coalesce(blocked_until, '-infinity') < now()
       LIMIT 100);
  END
  $$;

/* A correct password from this pair: its own failures are forgotten and the address becomes known. */
CREATE FUNCTION auth_login_succeeded(p_pair bytea, p_user_id uuid, p_address text) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    known boolean;
  BEGIN
    DELETE FROM login_throttles WHERE key = p_pair;
    SELECT EXISTS (SELECT 1 FROM login_known_addresses WHERE user_id = p_user_id AND address = p_address)
      INTO known;
    INSERT INTO login_known_addresses (user_id, address) VALUES (p_user_id, p_address)
      ON CONFLICT (user_id, address) DO UPDATE SET last_success_at = now();
    DELETE FROM login_known_addresses
     WHERE user_id = p_user_id AND last_success_at < now() - interval '90 days';
    RETURN known;
  END
  $$;

/*
 * Who is calling, read fresh on every request. A session is active while it is not revoked, not past its
 * absolute expiry and not idle longer than its role's limit. `p_touch`: this request is the user's activity
 * (written at most once a minute, so a busy client does not write on every request).
 */
DROP FUNCTION auth_principal(uuid, uuid);
CREATE FUNCTION auth_principal(p_user_id uuid, p_session_id uuid, p_touch boolean)
  RETURNS TABLE (
    user_id uuid, tenant_id uuid, role user_role, email text, display_name text, zone_ids uuid[],
    active boolean, pending_step text
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
             AND s.last_active_at > now() - auth_idle_limit(u.tenant_id, u.role) AS active,
           s.pending_step, s.last_active_at
      INTO r
      FROM users u
      JOIN sessions s ON s.id = p_session_id AND s.user_id = u.id
      LEFT JOIN tenants t ON t.id = u.tenant_id
     WHERE u.id = p_user_id;
    IF NOT FOUND THEN
      RETURN;
    END IF;
    -- Only a live session is touched: an idle one stays ended.
    IF p_touch AND r.active AND r.last_active_at < now() - interval '1 minute' THEN
      UPDATE sessions SET last_active_at = now() WHERE id = p_session_id;
    END IF;
    user_id := r.id; tenant_id := r.tenant_id; role := r.role; email := r.email;
    display_name := r.display_name; zone_ids := r.zone_ids; active := r.active; pending_step := r.pending_step;
    RETURN NEXT;
  END
  $$;

/* The refresh token with this hash, with what decides whether it may be used (an idle session may not). */
DROP FUNCTION auth_refresh_candidate(bytea);
CREATE FUNCTION auth_refresh_candidate(p_token_hash bytea)
  RETURNS TABLE (
    token_id uuid, session_id uuid, user_id uuid, tenant_id uuid, role user_role, used_at timestamptz,
    expires_at timestamptz, session_revoked boolean, disabled boolean, idle boolean
  )
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    RETURN QUERY
    SELECT r.id, r.session_id, r.user_id, u.tenant_id, u.role, r.used_at, least(r.expires_at, s.expires_at),
           s.revoked_at IS NOT NULL, u.disabled_at IS NOT NULL OR t.disabled_at IS NOT NULL,
           s.last_active_at <= now() - auth_idle_limit(u.tenant_id, u.role)
      FROM refresh_tokens r
      JOIN sessions s ON s.id = r.session_id
      JOIN users u ON u.id = r.user_id
      LEFT JOIN tenants t ON t.id = u.tenant_id
     WHERE r.token_hash = p_token_hash;
  END
  $$;

DO $$
DECLARE
  f text;
BEGIN
  FOREACH f IN ARRAY ARRAY[
    'auth_idle_limit(uuid, user_role)', 'auth_login_candidate(text, text)',
    'auth_login_throttled(bytea, bytea, bytea, uuid, text)', 'auth_login_failed(bytea[], integer[], integer)',
    'auth_login_succeeded(bytea, uuid, text)', 'auth_principal(uuid, uuid, boolean)',
    'auth_refresh_candidate(bytea)'
  ] LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO tidewatch_app', f);
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION tenant_security_settings_create() FROM PUBLIC;
