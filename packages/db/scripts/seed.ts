import { readDatabaseUrls } from '../src/config.ts';
import { seedDemo } from '../src/seed/seed-database.ts';

const { adminUrl } = readDatabaseUrls();
const started = performance.now();
const counts = await seedDemo({
  adminUrl,
  ...(process.env.DEMO_PASSWORD ? { demoPassword: process.env.DEMO_PASSWORD } : {}),
  ...(process.env.DEMO_DEVICE_SECRET ? { demoDeviceSecret: process.env.DEMO_DEVICE_SECRET } : {}),
  log: (line) => {
    console.log(line);
  },
});
console.table(counts);
console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
