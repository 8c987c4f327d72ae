-- Field crews and maintenance: photos and documents on incidents, maintenance logs and assets; planned
-- maintenance with due dates; firmware history; and the idempotency keys that let a phone's offline queue send an
-- action again without applying it twice.

-- Attachments -------------------------------------------------------------------------------------------------

-- Exactly one owner. The bytes are here (content) unless the server stores them in S3-compatible storage, where
-- storage_key names the object; thumbnails are small and always kept here. media_type is what the server read
-- from the bytes themselves, never what the client claimed.
CREATE TABLE attachments (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  incident_id        uuid REFERENCES incidents (id) ON DELETE RESTRICT,
  incident_note_id   uuid REFERENCES incident_notes (id) ON DELETE RESTRICT,
  maintenance_log_id uuid REFERENCES maintenance_logs (id) ON DELETE RESTRICT,
  asset_id           uuid REFERENCES assets (id) ON DELETE RESTRICT,
  file_name          text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 200),
  media_type         text NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png', 'image/webp', 'image/gif',
                                                         'application/pdf')),
  byte_size          integer NOT NULL CHECK (byte_size > 0),
  sha256             text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  storage            text NOT NULL CHECK (storage IN ('database', 's3')),
  storage_key        text,
  content            bytea,
  thumbnail          bytea,
  created_by         uuid REFERENCES users (id) ON DELETE RESTRICT,
  created_at         timestamptz NOT NULL DEFAULT now(),
  CHECK (num_nonnulls(incident_id, maintenance_log_id, asset_id) = 1),
  CHECK (incident_note_id IS NULL OR incident_id IS NOT NULL),
  CHECK ((storage = 'database') = (content IS NOT NULL)),
  CHECK ((storage = 's3') = (storage_key IS NOT NULL))
);
CREATE INDEX attachments_incident_idx ON attachments (incident_id, created_at) WHERE incident_id IS NOT NULL;
CREATE INDEX attachments_log_idx ON attachments (maintenance_log_id) WHERE maintenance_log_id IS NOT NULL;
CREATE INDEX attachments_asset_idx ON attachments (asset_id, created_at) WHERE asset_id IS NOT NULL;
-- The bytes are large and rarely read: out of line, uncompressed (photos and PDFs are compressed already).
ALTER TABLE attachments ALTER COLUMN content SET STORAGE EXTERNAL;

-- Maintenance -------------------------------------------------------------------------------------------------

-- Planned maintenance of an asset: due at due_at, a reminder remind_before_s seconds ahead; a recurring plan moves its due
-- date by interval_days from the work that completes it, a one-off one is done then.
CREATE TABLE maintenance_plans (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  asset_id      uuid NOT NULL REFERENCES assets (id) ON DELETE RESTRICT,
  title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
  description   text CHECK (length(description) <= 10000),
  interval_days integer CHECK (interval_days BETWEEN 1 AND 3660),
  due_at        timestamptz NOT NULL,
  remind_before_s integer NOT NULL DEFAULT 86400 CHECK (remind_before_s BETWEEN 0 AND 7776000),
  -- The due date a reminder was last sent for: one reminder per due date, whichever instance sends it.
  reminded_for  timestamptz,
  completed_at  timestamptz,
  created_by    uuid REFERENCES users (id) ON DELETE RESTRICT,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX maintenance_plans_asset_idx ON maintenance_plans (asset_id, due_at);
CREATE INDEX maintenance_plans_due_idx ON maintenance_plans (due_at) WHERE completed_at IS NULL;

ALTER TABLE maintenance_logs
  ADD COLUMN maintenance_plan_id uuid REFERENCES maintenance_plans (id) ON DELETE RESTRICT;

-- Device records ----------------------------------------------------------------------------------------------

-- Each firmware a device ran, from when; devices.firmware_version stays the current one.
CREATE TABLE device_firmware (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  device_id    uuid NOT NULL REFERENCES devices (id) ON DELETE RESTRICT,
  version      text NOT NULL CHECK (length(version) BETWEEN 1 AND 100),
  installed_at timestamptz NOT NULL,
  note         text CHECK (length(note) <= 2000),
  recorded_by  uuid REFERENCES users (id) ON DELETE RESTRICT,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX device_firmware_device_idx ON device_firmware (device_id, installed_at DESC);

-- Idempotency keys --------------------------------------------------------------------------------------------

-- A client names each action with a key; the server claims it before acting and stores the answer after, so an
-- action sent again (a phone's queue after a lost answer) is answered from here instead of applied twice.
CREATE TABLE idempotency_keys (
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key          text NOT NULL CHECK (key ~ '^[A-Za-z0-9_-]{8,100}$'),
  request_hash text NOT NULL,
  status       integer,
  response     jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- Row-level security and privileges -----------------------------------------------------------------------------

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['attachments', 'maintenance_plans', 'device_firmware', 'idempotency_keys'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())',
      t);
  END LOOP;
END
$$;
-- A user's own keys only, on top of the tenant; a job acting for no user (pruning old keys) sees the tenant's.
CREATE POLICY own_keys ON idempotency_keys AS RESTRICTIVE
  USING (user_id = app_user_id() OR app_user_id() IS NULL) WITH CHECK (user_id = app_user_id());

-- Attachments and firmware history are records: added, never changed (but an attachment is linked to the note
-- it came with). Plans change as work completes them.
GRANT SELECT, INSERT ON attachments, device_firmware TO tidewatch_app;
GRANT UPDATE (incident_note_id) ON attachments TO tidewatch_app;
GRANT SELECT, INSERT, UPDATE ON maintenance_plans TO tidewatch_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO tidewatch_app;
