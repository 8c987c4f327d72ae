-- Modbus TCP devices: read by the server's poller, so they sign in with no secret of their own. A new enum value
-- cannot be used in the transaction that adds it: the connector's tables come in the next migration.
ALTER TYPE device_transport ADD VALUE IF NOT EXISTS 'modbus';

-- Only devices that send to the server themselves (MQTT, HTTP) hold a credential; connector devices do not.
ALTER TABLE devices DROP CONSTRAINT IF EXISTS devices_check;
ALTER TABLE devices ADD CONSTRAINT devices_check
  CHECK (transport NOT IN ('mqtt', 'http') OR credential_hash IS NOT NULL);
