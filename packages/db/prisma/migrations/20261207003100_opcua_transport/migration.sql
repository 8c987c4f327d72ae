-- OPC UA as a device transport. Its own migration: a new enum value cannot be used in the transaction that adds it.
ALTER TYPE device_transport ADD VALUE IF NOT EXISTS 'opcua';

-- Devices of connector transports (ThingSpeak, Modbus, OPC UA, LoRaWAN) have no device credential: the server
-- reaches them, they never sign in.
ALTER TABLE devices DROP CONSTRAINT IF EXISTS devices_check;
ALTER TABLE devices ADD CONSTRAINT devices_check
  CHECK (transport NOT IN ('mqtt', 'http') OR credential_hash IS NOT NULL);
