/** How a device's readings reach the server. */
export const deviceTransports = ['mqtt', 'http', 'thingspeak', 'modbus', 'opcua', 'lorawan'] as const;
export type DeviceTransport = (typeof deviceTransports)[number];

export const deviceConnectivities = ['unknown', 'online', 'offline'] as const;
export type DeviceConnectivity = (typeof deviceConnectivities)[number];

/** gauge: a level or pressure; counter: a totaliser that only grows; state: a discrete value such as pump on/off. */
export const metricKinds = ['gauge', 'counter', 'state'] as const;
export type MetricKind = (typeof metricKinds)[number];

export const commandStates = ['pending', 'delivered', 'acknowledged', 'failed', 'expired'] as const;
export type CommandState = (typeof commandStates)[number];

/** ThingSpeak channels carry at most eight numbered fields. */
export const thingSpeakFieldNumbers = [1, 2, 3, 4, 5, 6, 7, 8] as const;
export type ThingSpeakFieldNumber = (typeof thingSpeakFieldNumbers)[number];
