import {
  countOf,
  devEuiOf,
  ignored,
  jsonObject,
  malformed,
  objectAt,
  timeOf,
  type LorawanFormatRules,
  type ParsedMessage,
} from './lorawan-event.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * ChirpStack v4's MQTT integration with JSON encoding: events on
 * `application/{application id}/device/{DevEUI}/event/{up|join|status|ack|txack|log|...}`, downlinks enqueued on
 * `application/{application id}/device/{DevEUI}/command/down`. Proto3 JSON leaves out fields at their zero
 * value, so an absent `fCnt` or `margin` is 0.
 */
export const chirpStackFormat: LorawanFormatRules = {
  format: 'chirpstack',

  subscriptions: (applicationId) => [`application/${applicationId}/device/+/event/+`],

  parse(applicationId, topic, body): ParsedMessage {
    const levels = topic.split('/');
    if (
      levels.length !== 6 ||
      levels[0] !== 'application' ||
      levels[1] !== applicationId ||
      levels[2] !== 'device' ||
      levels[4] !== 'event'
    )
      return ignored('not an event topic of the application');
    const type = levels[5] ?? '';
    const json = jsonObject(body);
    if (!json) return malformed('not a JSON object');
    // The topic names the device; a body that names another (or a DevEUI that is not one) is not trusted.
    const devEui = devEuiOf(levels[3]);
    if (!devEui) return malformed('no DevEUI in the topic');
    const named = objectAt(json, 'deviceInfo')?.devEui;
    if (named !== undefined && devEuiOf(named) !== devEui)
      return malformed('the DevEUI in deviceInfo is not the DevEUI of the topic');
    const base = { devEui, networkDeviceId: null };
    const time = timeOf(json.time);
    switch (type) {
      case 'up': {
        const fCnt = countOf(json.fCnt, 0);
        if (fCnt === null) return malformed('fCnt is not a frame counter');
        if (time === null) return malformed('no time');
        const fPort = countOf(json.fPort, null);
        return { ok: true, event: { ...base, kind: 'uplink', fCnt, fPort, time, payload: json.object } };
      }
      case 'join':
        if (time === null) return malformed('no time');
        return {
          ok: true,
          event: {
            ...base,
            kind: 'join',
            time,
            devAddr: typeof json.devAddr === 'string' ? json.devAddr.slice(0, 16) : null,
          },
        };
      case 'status': {
        if (time === null) return malformed('no time');
        const unavailable = json.batteryLevelUnavailable === true;
        const battery = json.batteryLevel ?? 0;
        const margin = json.margin ?? 0;
        if (typeof battery !== 'number' || typeof margin !== 'number' || !Number.isInteger(margin))
          return malformed('batteryLevel or margin is not a number');
        return {
          ok: true,
          event: {
            ...base,
            kind: 'status',
            time,
            batteryLevel: unavailable ? null : battery,
            externalPower: json.externalPowerSource === true,
            margin,
          },
        };
      }
      case 'ack':
      case 'txack': {
        const id = json.queueItemId;
        const commandId = typeof id === 'string' && UUID.test(id) ? id.toLowerCase() : null;
        const result =
          type === 'txack' ? 'transmitted' : json.acknowledged === true ? 'acknowledged' : 'failed';
        return {
          ok: true,
          event: {
            ...base,
            kind: 'downlink',
            commandId,
            result,
            message: result === 'failed' ? 'the device did not confirm the downlink' : null,
          },
        };
      }
      case 'log':
        return {
          ok: true,
          event: {
            ...base,
            kind: 'log',
            level: typeof json.level === 'string' ? json.level : 'INFO',
            code: typeof json.code === 'string' ? json.code : 'UNKNOWN',
            description: typeof json.description === 'string' ? json.description.slice(0, 500) : '',
          },
        };
      default:
        return ignored(`event ${type.slice(0, 32)}`);
    }
  },

  downlinkTopic: (applicationId, device) =>
    `application/${applicationId}/device/${device.devEui}/command/down`,

  downlinkBody: (device, downlink) =>
    Buffer.from(
      JSON.stringify({
        // The queue item takes the command's id, so its ack and txack events name the command.
        id: downlink.commandId,
        devEui: device.devEui,
        confirmed: downlink.confirmed,
        fPort: downlink.fPort,
        ...(downlink.data ? { data: downlink.data.toString('base64') } : { object: downlink.object ?? {} }),
      }),
    ),
};
