import { readDatabaseUrls } from '../src/config.ts';
import { seedDemo } from '../src/seed/seed-database.ts';

// The demo's logins and device secret are published in the README: a production database never gets them.
if (process.env.NODE_ENV === 'production') {
  console.error(
    'Refusing to seed the demo tenants under NODE_ENV=production: their logins and device secret are published. ' +
      'Create the first administrator with TIDEWATCH_ADMIN_EMAIL and TIDEWATCH_ADMIN_PASSWORD instead.',
  );
  process.exit(1);
}

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
