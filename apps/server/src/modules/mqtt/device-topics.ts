/** What a device may publish: its readings, its status (often as its last will), and answers to commands. */
export type DeviceTopicKind = 'telemetry' | 'status' | 'commands/ack';

const pattern = /^devices\/([0-9a-fA-F-]{36})\/(telemetry|status|commands\/ack)$/;

/**
 * @example parseDeviceTopic('devices/5f.../telemetry') // { deviceId: '5f...', kind: 'telemetry' }
 */
export function parseDeviceTopic(topic: string): { deviceId: string; kind: DeviceTopicKind } | null {
  const match = pattern.exec(topic);
  if (!match?.[1] || !match[2]) return null;
  return { deviceId: match[1].toLowerCase(), kind: match[2] as DeviceTopicKind };
}

export const commandTopic = (deviceId: string): string => `devices/${deviceId}/commands`;
