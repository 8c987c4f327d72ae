-- Extensions, the application's database role, and the per-transaction context that row-level security reads.

CREATE EXTENSION IF NOT EXISTS postgis;
-- btree_gist lets exclusion constraints mix equality on ids with range overlap (calibration validity).
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS citext;

-- The server connects as tidewatch_app: it owns nothing and cannot bypass row-level security, so a
-- forgotten tenant filter returns no rows instead of another tenant's. Roles are cluster-wide, hence
-- the existence check. Its password, where one is needed, is set outside migrations.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tidewatch_app') THEN
    CREATE ROLE tidewatch_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
END
$$;

-- The server sets these with set_config(..., true) at the start of every transaction, from the
-- user's row in the database, never from a token. An unset tenant matches nothing.
CREATE FUNCTION app_tenant_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE FUNCTION app_user_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

CREATE FUNCTION app_role() RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.role', true), '') $$;

/* One call sets the whole context for the current transaction only. */
CREATE FUNCTION app_set_context(p_tenant_id uuid, p_user_id uuid, p_role text) RETURNS void
  LANGUAGE sql VOLATILE
  AS $$
    SELECT set_config('app.tenant_id', coalesce(p_tenant_id::text, ''), true),
           set_config('app.user_id', coalesce(p_user_id::text, ''), true),
           set_config('app.role', coalesce(p_role, ''), true);
  $$;

-- Keeps updated_at honest whoever writes the row.
CREATE FUNCTION touch_updated_at() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    NEW.updated_at := now();
    RETURN NEW;
  END
  $$;
