import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';

export type { Logger };

/** pino-pretty is a development dependency: a production install (NODE_ENV unset or not) lacks it. */
function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/** JSON logs in production, readable lines in development when pino-pretty is installed. */
export function createLogger(level: string, pretty: boolean): Logger {
  return pino({
    level,
    base: { service: 'tidewatch-server' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.refreshToken', '*.secret'],
      censor: '[redacted]',
    },
    ...(pretty && prettyAvailable()
      ? { transport: { target: 'pino-pretty', options: { singleLine: true } } }
      : {}),
  });
}
