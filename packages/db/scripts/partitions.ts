import { createDatabase } from '../src/client.ts';
import { readDatabaseUrls } from '../src/config.ts';
import { maintainTelemetryPartitions } from '../src/partitions.ts';

// Runs the partition job once as the application role, exactly as the server's timer does.
const db = createDatabase({ url: readDatabaseUrls().appUrl, maxConnections: 1 });
try {
  const result = await maintainTelemetryPartitions(db.pool);
  console.log(`created ${String(result.created)} partitions; dropped ${result.dropped.join(', ') || 'none'}`);
} finally {
  await db.close();
}
