import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chirpStackFormat } from './chirpstack-format.ts';
import { commandDownlink } from './command-downlink.ts';
import { ttsFormat } from './tts-format.ts';
import { payloadValues, valueAt } from './payload-values.ts';

const APP = 'app-1@ttn';
const EUI = '70b3d57ed0051234';

const samples = [
  {
    rules: chirpStackFormat,
    topic: `application/${APP}/device/${EUI}/event/up`,
    body: {
      time: '2026-12-07T06:15:02.118123456Z',
      deviceInfo: { devEui: EUI },
      fCnt: 812,
      fPort: 2,
      object: { pressure: { bar: 3.42 } },
    },
  },
  {
    rules: ttsFormat,
    topic: `v3/${APP}/devices/logger-1/up`,
    body: {
      end_device_ids: { device_id: 'logger-1', dev_eui: EUI.toUpperCase() },
      received_at: '2026-12-07T06:15:02.118Z',
      uplink_message: { f_port: 1, f_cnt: 3, decoded_payload: { pressure: { bar: 3.42 } } },
    },
  },
];

/** Replaces one value somewhere in `node` with `junk`. */
function mutate(node: unknown, junk: unknown, pick: number): unknown {
  if (typeof node !== 'object' || node === null) return junk;
  const entries: [string, unknown][] = Object.entries(node);
  const [key, value] = entries[pick % entries.length] ?? ['x', null];
  return { ...node, [key]: pick % 3 === 0 ? junk : mutate(value, junk, Math.floor(pick / 3)) };
}

const JUNK: unknown[] = [null, -1, 1e308, '', 'x'.repeat(70), [], {}, true, '\u0000', { $: [1] }, 2 ** 53];

describe('LoRaWAN message formats', () => {
  it('read the uplinks of ChirpStack and The Things Stack', () => {
    for (const { rules, topic, body } of samples) {
      const parsed = rules.parse(APP, topic, Buffer.from(JSON.stringify(body)));
      expect(parsed).toMatchObject({
        ok: true,
        event: { kind: 'uplink', devEui: EUI, time: Date.parse('2026-12-07T06:15:02.118Z') },
      });
    }
  });

  it('refuse a message whose body names another device than its topic, or no device at all', () => {
    const other = '70b3d57ed0059999';
    const [chirpstack, tts] = samples;
    if (!chirpstack || !tts) throw new Error('samples');
    const refused = [
      chirpStackFormat.parse(
        APP,
        chirpstack.topic,
        Buffer.from(JSON.stringify({ ...chirpstack.body, deviceInfo: { devEui: other } })),
      ),
      chirpStackFormat.parse(
        APP,
        chirpstack.topic,
        Buffer.from(JSON.stringify({ ...chirpstack.body, deviceInfo: { devEui: 'nope' } })),
      ),
      chirpStackFormat.parse(
        APP,
        `application/${APP}/device/not-an-eui/event/up`,
        Buffer.from(JSON.stringify(chirpstack.body)),
      ),
      ttsFormat.parse(APP, `v3/${APP}/devices/logger-2/up`, Buffer.from(JSON.stringify(tts.body))),
    ];
    for (const parsed of refused) expect(parsed).toMatchObject({ ok: false, reason: 'malformed' });
    // A message without deviceInfo still names its device by its topic.
    const { deviceInfo: _left, ...bare } = chirpstack.body;
    expect(chirpStackFormat.parse(APP, chirpstack.topic, Buffer.from(JSON.stringify(bare)))).toMatchObject({
      ok: true,
      event: { devEui: EUI },
    });
  });

  it('never throw on junk: random bytes and mutated messages are malformed or ignored, or read', () => {
    for (let i = 0; i < 3000; i += 1) {
      const sample = samples[i % samples.length];
      if (!sample) continue;
      const body =
        i % 4 === 0
          ? randomBytes(i % 200)
          : Buffer.from(JSON.stringify(mutate(sample.body, JUNK[i % JUNK.length], i)));
      const parsed = sample.rules.parse(APP, sample.topic, body);
      if (parsed.ok) {
        expect(parsed.event.devEui).toMatch(/^[0-9a-f]{16}$/);
        if (parsed.event.kind === 'uplink') {
          expect(Number.isSafeInteger(parsed.event.fCnt)).toBe(true);
          expect(Number.isFinite(parsed.event.time)).toBe(true);
        }
      } else {
        expect(['malformed', 'ignored']).toContain(parsed.reason);
      }
    }
  });

  it('map payload paths to values, skipping what is no number', () => {
    const payload = { sensors: [{ value: '2.5' }, { value: 'n/a' }], pump: true, level: null };
    expect(valueAt(payload, 'sensors.0.value')).toBe('2.5');
    expect(valueAt(payload, '__proto__')).toBeUndefined();
    const result = payloadValues(payload, [
      { path: 'sensors.0.value', seriesId: 1, metricKey: 'a', scale: 2, offset: 1 },
      { path: 'sensors.1.value', seriesId: 2, metricKey: 'b', scale: 1, offset: 0 },
      { path: 'pump', seriesId: 3, metricKey: 'c', scale: 1, offset: 0 },
      { path: 'level', seriesId: 4, metricKey: 'd', scale: 1, offset: 0 },
    ]);
    expect(result).toEqual({ values: { a: 6, c: 1 }, rejected: { missing: 1, not_a_number: 1 } });
  });

  it('turn commands into downlinks, or say why not', () => {
    const defaults = { fPort: 10, confirmed: true };
    expect(commandDownlink('c', 'reboot', { data: 'AQ==' }, defaults)).toMatchObject({
      fPort: 10,
      confirmed: true,
      data: Buffer.from([1]),
    });
    expect(commandDownlink('c', 'set', { minutes: 5, confirmed: false }, defaults)).toMatchObject({
      confirmed: false,
      object: { command: 'set', minutes: 5 },
    });
    expect(commandDownlink('c', 'x', { data: 'not base64' }, defaults)).toBe('data must be base64');
    expect(commandDownlink('c', 'x', { fPort: 0 }, defaults)).toMatch(/fPort/);
  });
});
