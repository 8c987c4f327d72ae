import { describe, expect, it } from 'vitest';
import {
  contentSecurityPolicy,
  serverConnectSources,
  withCspMeta,
} from '../src/common/content-security-policy.ts';

const directives = (policy: string): Map<string, string[]> =>
  new Map(
    policy.split(';').map((part) => {
      const [name = '', ...sources] = part.trim().split(/\s+/);
      return [name, sources];
    }),
  );

describe('contentSecurityPolicy', () => {
  it('allows only the app itself by default: no inline or eval script, no plug-ins, no frames', () => {
    const policy = directives(contentSecurityPolicy({ delivery: 'meta' }));
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('script-src')).toEqual(["'self'"]);
    expect(policy.get('style-src')).toEqual(["'self'"]);
    expect(policy.get('connect-src')).toEqual(["'self'"]);
    expect(policy.get('object-src')).toEqual(["'none'"]);
    expect(policy.get('frame-src')).toEqual(["'none'"]);
    expect(policy.get('base-uri')).toEqual(["'none'"]);
    expect(policy.get('form-action')).toEqual(["'none'"]);
    const all = [...policy.values()].flat();
    expect(all).not.toContain("'unsafe-eval'");
    expect(all).not.toContain("'unsafe-inline'");
    expect(all).not.toContain('*');
  });

  it('names the chosen server for REST and its WebSocket, and nothing wider', () => {
    const sources = serverConnectSources('https://scada.example:8443/some/path?x=1');
    expect(sources).toEqual(['https://scada.example:8443', 'wss://scada.example:8443']);
    const policy = directives(contentSecurityPolicy({ delivery: 'header', connectSources: sources }));
    expect(policy.get('connect-src')).toEqual([
      "'self'",
      'https://scada.example:8443',
      'wss://scada.example:8443',
    ]);
    expect(serverConnectSources('http://10.0.0.5:8080')).toEqual([
      'http://10.0.0.5:8080',
      'ws://10.0.0.5:8080',
    ]);
    expect(serverConnectSources('file:///etc/passwd')).toEqual([]);
  });

  it('puts frame-ancestors only in the header, where browsers honour it', () => {
    expect(contentSecurityPolicy({ delivery: 'header' })).toContain("frame-ancestors 'none'");
    expect(contentSecurityPolicy({ delivery: 'meta' })).not.toContain('frame-ancestors');
  });

  it('relaxes inline script only for the development server', () => {
    const policy = directives(contentSecurityPolicy({ delivery: 'meta', development: true }));
    expect(policy.get('script-src')).toContain("'unsafe-inline'");
    expect(policy.get('connect-src')).toContain('ws://localhost:*');
  });

  it('writes the policy into the page, replacing one that is there', () => {
    const page = '<html><head><title>x</title></head></html>';
    const once = withCspMeta(page, "default-src 'none'");
    expect(once).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'" />`);
    const twice = withCspMeta(once, "default-src 'self'");
    expect(twice.match(/Content-Security-Policy/g)).toHaveLength(1);
    expect(twice).toContain(`content="default-src 'self'"`);
  });
});
