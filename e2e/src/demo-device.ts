import { DEFAULT_DEMO_DEVICE_SECRET } from '@tidewatch/db/testing';
import mqtt, { type MqttClient } from 'mqtt';

/**
 * A seeded demo device signed in to the server's broker with the demo secret, as the device itself would connect
 * (its id as client id and user name); no reconnects, so a refusal fails the test at once.
 */
export function connectDemoDevice(mqttUrl: string, deviceId: string): Promise<MqttClient> {
  return mqtt.connectAsync(mqttUrl, {
    clientId: deviceId,
    username: deviceId,
    password: DEFAULT_DEMO_DEVICE_SECRET,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
}
