import { describe, expect, it } from 'vitest';
import { mosquittoListenersConf } from './mosquitto-listeners.ts';
import { serverClientId } from './server-client-id.ts';

describe('the server on an external broker', () => {
  it('has a client id that keeps its readable part, stays the same, and cannot be told without the secret', () => {
    const id = serverClientId('tidewatch-plant-8080', 'secret one');
    expect(id).toMatch(/^tidewatch-plant-8080-[0-9a-f]{16}$/);
    expect(serverClientId('tidewatch-plant-8080', 'secret one')).toBe(id);
    expect(serverClientId('tidewatch-plant-8080', 'secret two')).not.toBe(id);
  });

  it('writes the device limits on device listeners only, and the global ones once', () => {
    const conf = mosquittoListenersConf(
      { plain: { port: 1883 }, server: { port: 1884, host: '127.0.0.1' } },
      { passwordFile: '/p', aclFile: '/a' },
      { maxPacketBytes: 327_680, maxConnections: 500, maxKeepaliveS: 600 },
    );
    const [global = '', server = '', devices = ''] = conf.split('\n\n');
    expect(global).toContain('max_packet_size 327680\nmax_keepalive 600\nretain_available false');
    expect(server).toBe('listener 1884 127.0.0.1');
    expect(devices).toBe('listener 1883\nuse_username_as_clientid true\nmax_connections 500\nmax_qos 1\n');
  });
});
