import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs in production, readable lines in development. */
export function createLogger(level: string, pretty: boolean): Logger {
  return pino({
    level,
    base: { service: 'tidewatch-server' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.refreshToken', '*.secret'],
      censor: '[redacted]',
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { singleLine: true } } } : {}),
  });
}
