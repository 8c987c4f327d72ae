import { readDatabaseUrls, retentionEnvShape } from '@tidewatch/db';
import { z } from 'zod';

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Origins of consoles served elsewhere: the Vite dev server and the desktop app's own scheme. */
  CORS_ORIGINS: z
    .string()
    .default('http://localhost:5173,http://127.0.0.1:5173,tidewatch://console')
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
  /** Sign-in requests per address and window, whatever they say: bounds the password hashing one address causes. */
  LOGIN_RATE_LIMIT_PER_IP: z.coerce.number().int().min(1).default(30),
  LOGIN_RATE_WINDOW_S: z.coerce.number().int().min(1).default(60),
  /**
   * Throttling instead of lockout: failures within the window after which attempts are held back (answered like
   * a wrong password, not evaluated), per e-mail and address pair, per address, and per e-mail from addresses the
   * account never signed in from. The hold starts at BASE and doubles per further failure up to MAX.
   */
  LOGIN_THROTTLE_PAIR_FAILURES: z.coerce.number().int().min(1).default(5),
  LOGIN_THROTTLE_ADDRESS_FAILURES: z.coerce.number().int().min(1).default(20),
  LOGIN_THROTTLE_ACCOUNT_FAILURES: z.coerce.number().int().min(1).default(10),
  LOGIN_THROTTLE_WINDOW_S: z.coerce.number().int().min(1).default(3600),
  LOGIN_THROTTLE_BASE_S: z.coerce.number().int().min(1).default(60),
  LOGIN_THROTTLE_MAX_S: z.coerce.number().int().min(1).default(900),
  BODY_LIMIT: z.string().default('1mb'),
  IMPORT_BODY_LIMIT: z.string().default('25mb'),
  TIDEWATCH_ADMIN_EMAIL: z.email().optional(),
  TIDEWATCH_ADMIN_PASSWORD: z.string().min(12).optional(),
  CONSOLE_DIR: z.string().optional(),
  /** A MapLibre style served by a tile server; without it the console draws its offline basemap. */
  MAP_STYLE_URL: z.url({ protocol: /^https?$/ }).optional(),
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
  /** An external broker (mqtt://host:1883); when set, the embedded broker does not start. */
  MQTT_URL: z.url({ protocol: /^mqtts?$/ }).optional(),
  MQTT_USERNAME: z.string().min(1).default('tidewatch-server'),
  MQTT_PASSWORD: z.string().min(1).optional(),
  /** Stable per instance, so the broker keeps this instance's session (and its unacknowledged messages). */
  MQTT_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .optional(),
  /**
   * Set on every instance when several run: they split the device topics as one MQTT v5 shared subscription
   * ($share/<group>/...). Empty: one instance, plain subscriptions, which a broker restart keeps (Mosquitto 2.0
   * does not restore shared subscriptions from its persistence).
   */
  MQTT_SHARE_GROUP: z
    .string()
    .regex(/^([A-Za-z0-9_-]{1,32})?$/)
    .default(''),
  /** A device that says nothing for this long is marked offline and a downtime opens. */
  DEVICE_OFFLINE_AFTER_S: z.coerce.number().int().min(5).default(300),
  /** How often pending commands are (re)published and expired ones closed. */
  COMMAND_SWEEP_S: z.coerce.number().int().min(1).default(15),
  /** ThingSpeak's API, or a compatible server; the poller reads bound channels from it. */
  THINGSPEAK_URL: z.url({ protocol: /^https?$/ }).default('https://api.thingspeak.com'),
  /** Default: on, except under NODE_ENV=test, where a test turns it on. */
  THINGSPEAK_ENABLED: z.enum(['true', 'false']).optional(),
  THINGSPEAK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Entries asked for per request at most (ThingSpeak's own limit is 8,000). */
  THINGSPEAK_RESULTS: z.coerce.number().int().min(1).max(8000).default(8000),
  /** Channels one instance polls at the same time. */
  THINGSPEAK_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** How often an instance looks for channels that are due. */
  THINGSPEAK_TICK_MS: z.coerce.number().int().min(50).default(1000),
  /** The first retry after a failure, doubling per failure; never below ThingSpeak's 15 s per channel. */
  THINGSPEAK_BACKOFF_BASE_S: z.coerce.number().int().min(15).default(15),
  THINGSPEAK_BACKOFF_MAX_S: z.coerce.number().int().min(15).default(900),
  /** Consecutive failures that open a channel's circuit, and how long it stays open before a trial poll. */
  THINGSPEAK_CIRCUIT_THRESHOLD: z.coerce.number().int().min(1).default(5),
  THINGSPEAK_CIRCUIT_COOLDOWN_S: z.coerce.number().int().min(15).default(600),
  /** The alert engine: off only for tools that must not raise alerts. */
  ALERT_ENGINE_ENABLED: z.enum(['true', 'false']).default('true'),
  /** Readings waiting for evaluation at most; beyond it they are counted and skipped (the next one re-evaluates). */
  ALERT_QUEUE_CAPACITY: z.coerce.number().int().min(100).default(200_000),
  /** Readings evaluated in one transaction at most. */
  ALERT_MAX_BATCH: z.coerce.number().int().min(1).default(2000),
  /** How often delays, shelving, no-data, offline devices, escalation, flood and suppression are checked. */
  ALERT_JOB_INTERVAL_MS: z.coerce.number().int().min(50).default(5000),
  /** Rules and series are cached per tenant this long; a rule change on this instance reloads at once. */
  ALERT_RULE_CACHE_MS: z.coerce.number().int().min(0).default(30_000),
  ALERT_FLOOD_THRESHOLD: z.coerce.number().int().min(1).default(10),
  ALERT_FLOOD_WINDOW_S: z.coerce.number().int().min(10).default(600),
  /** A rule preview (POST /alert-rules/preview) evaluates at most this many targets and stored readings. */
  ALERT_PREVIEW_MAX_TARGETS: z.coerce.number().int().min(1).max(10_000).default(100),
  ALERT_PREVIEW_MAX_POINTS: z.coerce.number().int().min(10).max(5_000_000).default(250_000),
  /** Notification deliveries: attempts before a delivery is marked failed, and the first retry delay (doubling). */
  NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  NOTIFY_RETRY_BASE_MS: z.coerce.number().int().min(10).default(30_000),
  NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** SMTP server for e-mail notifications (smtp://user:pass@host:587 or smtps://...); unset: e-mails fail. */
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  NOTIFY_EMAIL_FROM: z.string().min(3).default('Tidewatch <alerts@tidewatch.invalid>'),
  /** Redis (redis://host:6379) that carries Socket.IO events between instances; unset: one instance. */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  /** Prefix of the Redis channels, so several deployments can share one Redis. */
  REALTIME_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
    .default('tidewatch'),
  /** Live telemetry is sent to each client at most this often, the latest reading per series. */
  REALTIME_COALESCE_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  /** How often each socket's user, role, zones and session are checked against the database. */
  REALTIME_REVALIDATE_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  /** Packets waiting for a client that does not read; beyond this it is disconnected (it resyncs on reconnect). */
  REALTIME_MAX_BUFFERED: z.coerce.number().int().min(10).default(5000),
  /** Retention of readings and records (RETENTION_*), shared with `npm run db:partitions`; floors in the database. */
  ...retentionEnvShape,
});

export type Config = z.infer<typeof envSchema> & {
  readonly databaseUrl: string;
  readonly thingSpeakEnabled: boolean;
};

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
  // A reading older than raw retention would land in a partition retention is about to drop.
  if (parsed.data.INGEST_MAX_AGE_DAYS > parsed.data.RETENTION_RAW_DAYS) {
    throw new Error('Invalid configuration: INGEST_MAX_AGE_DAYS must not exceed RETENTION_RAW_DAYS');
  }
  return {
    ...parsed.data,
    databaseUrl: readDatabaseUrls(env).appUrl,
    thingSpeakEnabled: (parsed.data.THINGSPEAK_ENABLED ?? String(parsed.data.NODE_ENV !== 'test')) === 'true',
  };
}
