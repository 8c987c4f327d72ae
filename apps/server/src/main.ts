import { loadConfig } from './config.ts';
import { StartRefused } from './modules/auth/bootstrap-admin.ts';
import { startServer } from './server.ts';

const config = loadConfig();
const running = await startServer(config).catch((error: unknown) => {
  if (!(error instanceof StartRefused)) throw error;
  console.error(`Tidewatch did not start: ${error.message}`);
  process.exit(1);
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    running.log.info({ signal }, 'shutting down: draining requests');
    // Whatever hangs (a held lock, a peer that never answers), the process is gone by the deadline.
    setTimeout(() => {
      running.log.error(
        { deadlineMs: config.SHUTDOWN_DEADLINE_MS },
        'shutdown deadline passed; exiting without waiting further',
      );
      process.exit(1);
    }, config.SHUTDOWN_DEADLINE_MS).unref();
    // Requests get most of the deadline; ingest and alerts drain within the same grace after them.
    running.close(Math.floor(config.SHUTDOWN_DEADLINE_MS / 3)).then(
      () => process.exit(0),
      (error: unknown) => {
        running.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}

// New certificates (a renewal) without a restart: connections made from now on get them.
if (config.TLS_CERT_FILE) {
  process.on('SIGHUP', () => {
    running.reloadCertificates().catch((error: unknown) => {
      running.log.error({ err: error }, 'could not reload the TLS certificates; keeping the old ones');
    });
  });
}
