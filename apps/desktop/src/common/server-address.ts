/** Host names that never leave this computer, so plain http to them crosses no network. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether the desktop app may use this server: https anywhere, plain http only to this computer. Over plain
 * http on a network, passwords, tokens and pump commands could be read and changed on the way.
 * @example isSafeServerOrigin(new URL('http://10.0.0.5:8080')) // false
 */
export function isSafeServerOrigin(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

export const UNSAFE_SERVER_MESSAGE =
  'Use https:// for a server on another computer: plain http is only allowed to this one (localhost)';
