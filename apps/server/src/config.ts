import { readDatabaseUrls } from '@tidewatch/db';
import { z } from 'zod';

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CORS_ORIGINS: z
    .string()
    .default('http://localhost:5173,http://127.0.0.1:5173')
    .transform((text) =>
      text
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    ),
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value) => (value === 'true' ? true : value === 'false' ? false : value)),
  ACCESS_TOKEN_TTL_S: z.coerce.number().int().min(30).max(86_400).default(900),
  SESSION_TTL_S: z.coerce
    .number()
    .int()
    .min(300)
    .max(90 * 86_400)
    .default(14 * 86_400),
  /** Base64 of at least 32 bytes; by default a key kept in the database and shared by every instance. */
  ACCESS_TOKEN_KEY: z.string().min(44).optional(),
  LOGIN_LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).max(100).default(5),
  LOGIN_RATE_LIMIT_PER_IP: z.coerce.number().int().min(1).default(30),
  LOGIN_RATE_LIMIT_PER_EMAIL: z.coerce.number().int().min(1).default(10),
  LOGIN_RATE_WINDOW_S: z.coerce.number().int().min(1).default(60),
  BODY_LIMIT: z.string().default('1mb'),
  IMPORT_BODY_LIMIT: z.string().default('25mb'),
  TIDEWATCH_ADMIN_EMAIL: z.email().optional(),
  TIDEWATCH_ADMIN_PASSWORD: z.string().min(12).optional(),
  CONSOLE_DIR: z.string().optional(),
  /** Readings held in memory while PostgreSQL is slow or away; beyond it devices are told to retry. */
  INGEST_QUEUE_CAPACITY: z.coerce.number().int().min(100).default(200_000),
  INGEST_MAX_BATCH: z.coerce.number().int().min(1).default(5000),
  INGEST_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(20),
  INGEST_DEVICE_CACHE_MS: z.coerce.number().int().min(0).default(10_000),
  INGEST_MAX_FUTURE_S: z.coerce.number().int().min(0).default(300),
  INGEST_MAX_AGE_DAYS: z.coerce.number().min(0.01).max(90).default(7),
  /** The embedded MQTT broker devices connect to (0: any free port, for tests). */
  MQTT_HOST: z.string().default('0.0.0.0'),
  MQTT_PORT: z.coerce.number().int().min(0).max(65_535).default(1883),
  MQTT_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(256).default(262_144),
});

export type Config = z.infer<typeof envSchema> & { readonly databaseUrl: string };

/** Parses and validates all configuration once at start-up; the error names each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  if (
    (parsed.data.TIDEWATCH_ADMIN_EMAIL === undefined) !==
    (parsed.data.TIDEWATCH_ADMIN_PASSWORD === undefined)
  ) {
    throw new Error('Invalid configuration: set TIDEWATCH_ADMIN_EMAIL and TIDEWATCH_ADMIN_PASSWORD together');
  }
  return { ...parsed.data, databaseUrl: readDatabaseUrls(env).appUrl };
}
