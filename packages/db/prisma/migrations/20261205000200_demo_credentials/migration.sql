-- The published demo credentials (README: `tidewatch-demo`, one shared device secret) are anyone's. The seed
-- records the hashes it gave out here; while an enabled account or device still holds one, the server listens on
-- loopback only unless told otherwise (DEMO_EXPOSE=true). A password changed or a secret rotated drops out.
CREATE TABLE demo_credentials (
  credential_hash text PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('password', 'device_secret', 'broker_password')),
  created_at      timestamptz NOT NULL DEFAULT now()
);
-- Hashes only, yet nothing the application role needs to read: only the function below looks at them.
ALTER TABLE demo_credentials ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON demo_credentials FROM PUBLIC;

/* Enabled users and devices (in enabled tenants, or platform accounts) still holding a demo credential. */
CREATE FUNCTION demo_credentials_in_use() RETURNS integer
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT (SELECT count(*) FROM users u LEFT JOIN tenants t ON t.id = u.tenant_id
             WHERE u.disabled_at IS NULL AND t.disabled_at IS NULL
               AND u.password_hash IN (SELECT credential_hash FROM demo_credentials))::integer
         + (SELECT count(*) FROM devices d JOIN tenants t ON t.id = d.tenant_id
             WHERE d.disabled_at IS NULL AND t.disabled_at IS NULL
               AND (d.credential_hash IN (SELECT credential_hash FROM demo_credentials)
                    OR d.broker_password_hash IN (SELECT credential_hash FROM demo_credentials)))::integer
  $$;

/* Whether any account exists at all: a first real start needs its administrator from the environment. */
CREATE FUNCTION auth_any_user_exists() RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT EXISTS (SELECT 1 FROM users) $$;

REVOKE ALL ON FUNCTION demo_credentials_in_use() FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_any_user_exists() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION demo_credentials_in_use() TO tidewatch_app;
GRANT EXECUTE ON FUNCTION auth_any_user_exists() TO tidewatch_app;
