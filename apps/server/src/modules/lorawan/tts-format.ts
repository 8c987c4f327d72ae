import {
  commandCorrelationId,
  commandIdIn,
  countOf,
  devEuiOf,
  ignored,
  jsonObject,
  malformed,
  objectAt,
  timeOf,
  type DownlinkResult,
  type LorawanFormatRules,
  type ParsedMessage,
} from './lorawan-event.ts';

const DEVICE_ID = /^[a-z0-9](?:-?[a-z0-9]){1,35}$/;

const DOWNLINK_RESULTS: Readonly<Record<string, DownlinkResult>> = {
  'down/ack': 'acknowledged',
  'down/nack': 'failed',
  'down/failed': 'failed',
  'down/sent': 'transmitted',
};

/** The error a `down/failed` message gives, as text. */
function failureMessage(json: Record<string, unknown>): string {
  const error = objectAt(objectAt(json, 'downlink_failed'), 'error');
  const text = error?.message_format ?? error?.name;
  return typeof text === 'string' ? text.slice(0, 300) : 'the network server could not send the downlink';
}

/**
 * The Things Stack v3's MQTT server: messages on `v3/{application id}[@{tenant id}]/devices/{device id}/{up|join|
 * down/ack|down/nack|down/sent|down/failed|...}`, downlinks pushed on `.../down/push`. Downlinks carry a
 * correlation id naming the command, which The Things Stack repeats in every event about them. Zero-valued
 * fields are left out, as in ChirpStack: an absent `f_cnt` is 0.
 */
export const ttsFormat: LorawanFormatRules = {
  format: 'tts',

  subscriptions: (applicationId) =>
    ['up', 'join', 'down/ack', 'down/nack', 'down/sent', 'down/failed'].map(
      (event) => `v3/${applicationId}/devices/+/${event}`,
    ),

  parse(applicationId, topic, body): ParsedMessage {
    const prefix = `v3/${applicationId}/devices/`;
    if (!topic.startsWith(prefix)) return ignored('not a topic of the application');
    const [topicDevice = '', ...rest] = topic.slice(prefix.length).split('/');
    const type = rest.join('/');
    const json = jsonObject(body);
    if (!json) return malformed('not a JSON object');
    const ids = objectAt(json, 'end_device_ids');
    const devEui = devEuiOf(ids?.dev_eui);
    if (!devEui) return malformed('no dev_eui in end_device_ids');
    const deviceId = ids?.device_id ?? topicDevice;
    // The topic names the device; a body that names another is not trusted.
    if (deviceId !== topicDevice)
      return malformed('the device_id in end_device_ids is not the device of the topic');
    const base = {
      devEui,
      networkDeviceId: typeof deviceId === 'string' && DEVICE_ID.test(deviceId) ? deviceId : null,
    };
    if (type === 'up') {
      const uplink = objectAt(json, 'uplink_message');
      if (!uplink) return malformed('no uplink_message');
      const time = timeOf(json.received_at) ?? timeOf(uplink.received_at);
      if (time === null) return malformed('no received_at');
      const fCnt = countOf(uplink.f_cnt, 0);
      if (fCnt === null) return malformed('f_cnt is not a frame counter');
      const fPort = countOf(uplink.f_port, null);
      if (fPort === null || fPort === 0) return ignored('no application payload (MAC commands only)');
      return {
        ok: true,
        event: { ...base, kind: 'uplink', fCnt, fPort, time, payload: uplink.decoded_payload },
      };
    }
    if (type === 'join') {
      const time = timeOf(json.received_at);
      if (time === null) return malformed('no received_at');
      const devAddr = ids?.dev_addr;
      return {
        ok: true,
        event: {
          ...base,
          kind: 'join',
          time,
          devAddr: typeof devAddr === 'string' ? devAddr.slice(0, 16) : null,
        },
      };
    }
    const result = DOWNLINK_RESULTS[type];
    if (result === undefined) return ignored(`event ${type.slice(0, 32)}`);
    return {
      ok: true,
      event: {
        ...base,
        kind: 'downlink',
        commandId: commandIdIn(body.toString('utf8')),
        result,
        message:
          type === 'down/failed'
            ? failureMessage(json)
            : type === 'down/nack'
              ? 'the device did not confirm the downlink'
              : null,
      },
    };
  },

  downlinkTopic: (applicationId, device) =>
    device.networkDeviceId === null
      ? null
      : `v3/${applicationId}/devices/${device.networkDeviceId}/down/push`,

  downlinkBody: (_device, downlink) =>
    Buffer.from(
      JSON.stringify({
        downlinks: [
          {
            f_port: downlink.fPort,
            confirmed: downlink.confirmed,
            priority: 'NORMAL',
            correlation_ids: [commandCorrelationId(downlink.commandId)],
            ...(downlink.data
              ? { frm_payload: downlink.data.toString('base64') }
              : { decoded_payload: downlink.object ?? {} }),
          },
        ],
      }),
    ),
};
