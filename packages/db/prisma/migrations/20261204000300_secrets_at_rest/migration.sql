-- Secrets at rest (envelope encryption). Webhook signing secrets, ThingSpeak read keys and the access-token key
-- are stored sealed: AES-256-GCM under a data key, as text `tw1.<data key id>.<nonce>.<ciphertext>.<tag>`. The data
-- keys are stored here wrapped by the operator's key-encryption key, which lives in a file outside the database
-- (TIDEWATCH_SECRET_KEY_FILE), so neither the database nor a backup of it reveals a secret.

CREATE TABLE secret_data_keys (
  id         text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,32}$'),
  -- Fingerprint of the key-encryption key that wrapped it (the key itself is never stored).
  kek_id     text NOT NULL,
  -- Nonce (12 bytes), the 32-byte key encrypted, tag (16 bytes).
  wrapped    bytea NOT NULL CHECK (length(wrapped) = 60),
  -- New secrets are sealed under the active key; the others still open what was sealed under them.
  active     boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  wrapped_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX secret_data_keys_one_active ON secret_data_keys (active) WHERE active;

/* The wrapped data keys, for a server to unwrap with its key-encryption key at start. */
CREATE FUNCTION secret_keyring() RETURNS TABLE (id text, kek_id text, wrapped bytea, active boolean)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT k.id, k.kek_id, k.wrapped, k.active FROM secret_data_keys k ORDER BY k.created_at, k.id $$;

/* The first data key, stored by whichever instance starts first on a database without one. */
CREATE FUNCTION secret_keyring_init(p_id text, p_kek_id text, p_wrapped bytea) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  BEGIN
    LOCK TABLE secret_data_keys IN SHARE ROW EXCLUSIVE MODE;
    INSERT INTO secret_data_keys (id, kek_id, wrapped, active)
      SELECT p_id, p_kek_id, p_wrapped, true WHERE NOT EXISTS (SELECT FROM secret_data_keys);
  END
  $$;

/* Every tenant, disabled ones too, so a server can seal each tenant's secrets under its row-level security. */
CREATE FUNCTION secret_tenants() RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT id FROM tenants ORDER BY id $$;

-- New values must be sealed. NOT VALID: rows an older release stored in plaintext stay readable until the
-- server (at start) or `npm run secrets:rotate` seals them.
ALTER TABLE notification_rules ADD CONSTRAINT notification_rules_webhook_secret_sealed
  CHECK (webhook_secret IS NULL OR webhook_secret LIKE 'tw1.%') NOT VALID;
ALTER TABLE thingspeak_bindings ADD CONSTRAINT thingspeak_bindings_read_api_key_sealed
  CHECK (read_api_key IS NULL OR read_api_key LIKE 'tw1.%') NOT VALID;

-- The access-token key: sealed, its plaintext column emptied once sealed.
ALTER TABLE platform_secrets
  ALTER COLUMN value DROP NOT NULL,
  ADD COLUMN sealed text CHECK (sealed LIKE 'tw1.%'),
  ADD CONSTRAINT platform_secrets_value_or_sealed CHECK (value IS NOT NULL OR sealed IS NOT NULL);

-- It made a plaintext key on first use; the server now makes the key and stores it sealed.
DROP FUNCTION auth_signing_key();

/* The stored access-token key: sealed, or the plaintext an older release stored. */
CREATE FUNCTION auth_signing_key_stored() RETURNS TABLE (sealed text, plain bytea)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT s.sealed, s.value FROM platform_secrets s WHERE s.name = 'access_token_key' $$;

/*
 * Stores the sealed access-token key if the row still holds what the caller read (nothing, an older release's
 * plaintext, or the key sealed under an older data key), and answers what it holds afterwards: the caller's key,
 * or the one another instance stored first.
 */
CREATE FUNCTION auth_signing_key_store(p_sealed text, p_read_sealed text, p_read_plain bytea) RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    stored text;
  BEGIN
    INSERT INTO platform_secrets (name, value, sealed) VALUES ('access_token_key', NULL, p_sealed)
      ON CONFLICT (name) DO UPDATE SET sealed = EXCLUDED.sealed, value = NULL
        WHERE platform_secrets.sealed IS NOT DISTINCT FROM p_read_sealed
          AND platform_secrets.value IS NOT DISTINCT FROM p_read_plain;
    SELECT s.sealed INTO stored FROM platform_secrets s WHERE s.name = 'access_token_key';
    RETURN stored;
  END
  $$;

-- Sealing a read key again (a new data key) is not a new key: the binding keeps its back-off and circuit.
CREATE OR REPLACE FUNCTION thingspeak_binding_reset() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF NEW.channel_id IS DISTINCT FROM OLD.channel_id THEN
      NEW.last_entry_id := NULL;
      NEW.last_entry_at := NULL;
    END IF;
    IF NEW.channel_id IS DISTINCT FROM OLD.channel_id
       OR (NEW.read_api_key IS DISTINCT FROM OLD.read_api_key
           AND current_setting('app.sealing_secrets', true) IS DISTINCT FROM 'on')
       OR (NEW.enabled AND NOT OLD.enabled) THEN
      NEW.consecutive_failures := 0;
      NEW.circuit_open_until := NULL;
      NEW.last_error := NULL;
      NEW.next_poll_at := NULL;
    END IF;
    RETURN NEW;
  END
  $$;

DO $$
DECLARE
  f text;
BEGIN
  FOREACH f IN ARRAY ARRAY[
    'secret_keyring()', 'secret_keyring_init(text, text, bytea)', 'secret_tenants()',
    'auth_signing_key_stored()', 'auth_signing_key_store(text, text, bytea)'
  ] LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO tidewatch_app', f);
  END LOOP;
END
$$;
