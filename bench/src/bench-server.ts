import { loadConfig } from '@tidewatch/server/config';
import { createLogger } from '@tidewatch/server/logger';
import { startServer, type RunningServer } from '@tidewatch/server/server';

/**
 * The real server in the benchmark's own process (so it can time events on the server's bus), on free ports with
 * its embedded broker unless `env` names another, logging warnings only.
 */
export function startBenchServer(appUrl: string, env: Record<string, string> = {}): Promise<RunningServer> {
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: '0',
    HOST: '127.0.0.1',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    DATABASE_URL: appUrl,
    ...env,
  });
  return startServer(config, createLogger('warn', false));
}
