import { readDatabaseUrls, retentionEnvShape } from '@tidewatch/db';
import { z } from 'zod';
import { parseNetwork, type Network } from './modules/outbound/ip-address.ts';
import { scriptedEventKinds } from './modules/simulator/scripted-events.ts';

/** Comma-separated http(s) addresses, each reduced to its origin. */
const originList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.url({ protocol: /^https?$/ }).transform((url) => new URL(url).origin)));

/** Comma-separated CIDR blocks (`10.20.0.0/16,fd00:1::/64`); a single address is a /32 or /128. */
const networkList = z
  .string()
  .default('')
  .transform((text, ctx): Network[] => {
    const blocks = text
      .split(',')
      .map((block) => block.trim())
      .filter(Boolean);
    return blocks.flatMap((block) => {
      try {
        return [parseNetwork(block)];
      } catch {
        ctx.addIssue(`"${block}" is not a CIDR block such as 10.20.0.0/16`);
        return [];
      }
    });
  });

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Share of ordinary requests in the access log (server errors and slow requests always): 0.01 in production, else 1. */
  LOG_ACCESS_SAMPLE: z.coerce.number().min(0).max(1).optional(),
  /** Requests slower than this many milliseconds are always in the access log. */
  LOG_SLOW_MS: z.coerce.number().int().min(1).default(1000),
  /** Origins of consoles served elsewhere: the desktop app's own scheme, and in development Vite's server. */
  CORS_ORIGINS: z.string().optional(),
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value) => (value === 'true' ? true : value === 'false' ? false : value)),
  /**
   * Who may read /metrics besides this machine (loopback): these networks (a Prometheus host: `10.20.0.5`), or
   * anyone presenting `Authorization: Bearer <METRICS_TOKEN>` (at least 32 characters: `openssl rand -hex 32`).
   */
  METRICS_ALLOW_NETWORKS: networkList,
  METRICS_TOKEN: z.string().min(32).optional(),
  ACCESS_TOKEN_TTL_S: z.coerce.number().int().min(30).max(86_400).default(900),
  SESSION_TTL_S: z.coerce
    .number()
    .int()
    .min(300)
    .max(90 * 86_400)
    .default(14 * 86_400),
  /**
   * A file holding 32 random bytes in base64 (`openssl rand -base64 32`): the key-encryption key that protects
   * the secrets stored in the database. Required in production; elsewhere a development key is made.
   */
  TIDEWATCH_SECRET_KEY_FILE: z.string().min(1).optional(),
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
  /**
   * Device sign-ins (HTTP ingest, embedded MQTT) failed within the window after which attempts are held back
   * without a lookup or a hash, per address and device pair, per address, and per device (an address that signed
   * the device in recently is spared the device's hold). The hold starts at HOLD_S and doubles up to HOLD_MAX_S.
   */
  DEVICE_SIGNIN_PAIR_FAILURES: z.coerce.number().int().min(1).default(10),
  DEVICE_SIGNIN_ADDRESS_FAILURES: z.coerce.number().int().min(1).default(50),
  DEVICE_SIGNIN_DEVICE_FAILURES: z.coerce.number().int().min(1).default(20),
  DEVICE_SIGNIN_WINDOW_S: z.coerce.number().int().min(1).default(600),
  DEVICE_SIGNIN_HOLD_S: z.coerce.number().int().min(1).default(30),
  DEVICE_SIGNIN_HOLD_MAX_S: z.coerce.number().int().min(1).default(600),
  /** How often devices connected to the embedded broker are checked for having been disabled by other means. */
  DEVICE_SESSION_RECHECK_S: z.coerce.number().int().min(1).default(60),
  /**
   * argon2 verifications (passwords and device secrets) running at once, and checks waiting per lane (users,
   * devices) beyond which one is refused with 503 / CONNACK 3.
   */
  CREDENTIAL_CHECKS_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  CREDENTIAL_CHECKS_WAITING: z.coerce.number().int().min(1).default(32),
  /**
   * Principals (user, role, zones, session) are kept this long per session between database reads; a change is
   * announced by the database at once (LISTEN tw_access), so this only bounds a lost announcement. 0: off.
   */
  PRINCIPAL_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  /** Sessions whose principal is cached at most; beyond it the oldest entry goes. */
  PRINCIPAL_CACHE_MAX: z.coerce.number().int().min(1).default(10_000),
  BODY_LIMIT: z.string().default('1mb'),
  /** Bodies of routes anyone may call (sign-in, refresh): read before anyone is known, so kept small. */
  PUBLIC_BODY_LIMIT: z.string().default('16kb'),
  IMPORT_BODY_LIMIT: z.string().default('25mb'),
  /** The largest photo or document a user may attach (bytes). */
  ATTACHMENT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 ** 2)
    .default(10 * 1024 ** 2),
  /**
   * S3-compatible storage for attachments' bytes, `https://ACCESS_KEY:SECRET@host[:port]/bucket` (path-style
   * addressing, `?region=` optional); unset: they are stored in PostgreSQL. Thumbnails stay in PostgreSQL.
   */
  S3_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** How often planned maintenance is checked for reminders that have come due. */
  MAINTENANCE_REMINDER_INTERVAL_S: z.coerce.number().int().min(1).max(3600).default(60),
  /**
   * While accounts or devices still hold the published demo credentials the server listens on 127.0.0.1 only;
   * `true` listens on HOST and MQTT_HOST anyway (a demo shown on a LAN).
   */
  DEMO_EXPOSE: z.enum(['true', 'false']).default('false'),
  TIDEWATCH_ADMIN_EMAIL: z.email().optional(),
  TIDEWATCH_ADMIN_PASSWORD: z.string().min(12).optional(),
  CONSOLE_DIR: z.string().optional(),
  /** A MapLibre style served by a tile server; without it the console draws its offline basemap. */
  MAP_STYLE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Further origins the style's tiles, glyphs and sprites come from: the console's CSP must name them. */
  MAP_TILE_ORIGINS: originList.default([]),
  /**
   * A PMTiles (v3) archive of street vector tiles (an OpenStreetMap extract in the OpenMapTiles schema) that the
   * server serves with a style of its own, so a control room without internet sees streets under its network.
   */
  MAP_TILES_FILE: z.string().min(1).optional(),
  /** Network vector tiles kept in memory, gzipped: at most this many, and at most this many megabytes. */
  MAP_TILE_CACHE_ENTRIES: z.coerce.number().int().min(0).default(20_000),
  MAP_TILE_CACHE_MB: z.coerce.number().min(0).default(128),
  /** PEM certificate (with its chain) and key: the server then speaks HTTPS and WSS on PORT. */
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  /** Intermediate certificates sent after TLS_CERT_FILE, when they are kept in a file of their own. */
  TLS_CA_FILE: z.string().min(1).optional(),
  /** Readings held in memory while PostgreSQL is slow or away; beyond it devices are told to retry. */
  INGEST_QUEUE_CAPACITY: z.coerce.number().int().min(100).default(200_000),
  /** The part of that queue one device, and one tenant, may hold, so a chatty one cannot crowd out the rest. */
  INGEST_DEVICE_SHARE: z.coerce.number().gt(0).max(1).default(0.05),
  INGEST_TENANT_SHARE: z.coerce.number().gt(0).max(1).default(0.5),
  INGEST_MAX_BATCH: z.coerce.number().int().min(1).default(5000),
  INGEST_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(20),
  /** Write transactions in flight at once; each device's messages are still acknowledged in order. */
  INGEST_BATCHES_IN_FLIGHT: z.coerce.number().int().min(1).max(8).default(3),
  INGEST_DEVICE_CACHE_MS: z.coerce.number().int().min(0).default(10_000),
  INGEST_MAX_FUTURE_S: z.coerce.number().int().min(0).default(300),
  INGEST_MAX_AGE_DAYS: z.coerce.number().min(0.01).max(90).default(7),
  /** How often the rollup job recomputes the 1-minute and hourly buckets that new readings touched. */
  TELEMETRY_ROLLUP_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  /** The embedded MQTT broker devices connect to (0: any free port, for tests). */
  MQTT_HOST: z.string().default('0.0.0.0'),
  /** `off` leaves only MQTT_TLS_PORT, so no device talks to the broker in plain text. */
  MQTT_PORT: z.union([z.literal('off'), z.coerce.number().int().min(0).max(65_535)]).default(1883),
  /** MQTT over TLS (8883) on the embedded broker, with the certificate of TLS_CERT_FILE. */
  MQTT_TLS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** The CA that signs device certificates: on MQTT_TLS_PORT a device must then present one whose CN is its id. */
  MQTT_TLS_CA_FILE: z.string().min(1).optional(),
  MQTT_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(256).default(262_144),
  /** Open sockets to the embedded broker from one address (a gateway or NAT holds several devices). */
  MQTT_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).default(100),
  /** Open sockets to the embedded broker in total, across its listeners. */
  MQTT_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(10_000),
  /** A CONNECT asking a longer keepalive (or none, 0) is refused. */
  MQTT_MAX_KEEPALIVE_S: z.coerce.number().int().min(10).max(65_535).default(600),
  /** A socket that has not sent its whole CONNECT by then (and a TLS handshake not done by then) is closed. */
  MQTT_CONNECT_TIMEOUT_S: z.coerce.number().int().min(1).default(10),
  /** An external broker (mqtt://host:1883); when set, the embedded broker does not start. */
  MQTT_URL: z.url({ protocol: /^mqtts?$/ }).optional(),
  MQTT_USERNAME: z.string().min(1).default('tidewatch-server'),
  /** For mqtts:// to a broker whose certificate a private CA signed; the system's CAs otherwise. */
  MQTT_BROKER_CA_FILE: z.string().min(1).optional(),
  /** This server's own client certificate and key, for a broker that requires one (require_certificate). */
  MQTT_CLIENT_CERT_FILE: z.string().min(1).optional(),
  MQTT_CLIENT_KEY_FILE: z.string().min(1).optional(),
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
  /**
   * How often devices' last seen / last reading times, kept in memory, are written. Silence checks wait twice this
   * long beyond their limits, since another instance may have heard a device it has not written yet.
   */
  DEVICE_STATE_FLUSH_MS: z.coerce.number().int().min(1000).max(5000).default(2000),
  /** How often pending commands are (re)published and expired ones closed. */
  COMMAND_SWEEP_S: z.coerce.number().int().min(1).default(15),
  /** ThingSpeak's API, or a compatible server; the poller reads bound channels from it. */
  /** LoRaWAN network-server integrations (on by default, off in tests unless asked for). */
  LORAWAN_ENABLED: z.enum(['true', 'false']).optional(),
  /** How long one instance holds an application without renewing; another may take it after that. */
  LORAWAN_LEASE_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /** Lease renewal, claiming and the downlink sweep; at most a third of the lease. */
  LORAWAN_TICK_MS: z.coerce.number().int().min(50).default(5000),
  LORAWAN_MAX_APPLICATIONS: z.coerce.number().int().min(1).max(10_000).default(200),
  LORAWAN_RECONNECT_BASE_MS: z.coerce.number().int().min(100).default(2000),
  LORAWAN_RECONNECT_MAX_MS: z.coerce.number().int().min(100).default(120_000),
  LORAWAN_CIRCUIT_THRESHOLD: z.coerce.number().int().min(1).default(10),
  LORAWAN_CIRCUIT_COOLDOWN_S: z.coerce.number().int().min(1).default(600),
  LORAWAN_UPLINK_KEEP_DAYS: z.coerce.number().int().min(1).max(90).default(3),
  LORAWAN_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).max(1_048_576).default(65_536),
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
  /**
   * Modbus TCP endpoints are reached only inside these CIDR blocks (a plant's own networks: `10.20.0.0/16`); empty,
   * the Modbus connector is off, so a tenant administrator cannot aim the server at arbitrary addresses.
   */
  MODBUS_ALLOW_NETWORKS: networkList,
  /** How often an instance renews its endpoint leases and looks for due devices and commands. */
  MODBUS_TICK_MS: z.coerce.number().int().min(50).default(500),
  /** An endpoint stays an instance's this long without renewal; then another may take it. */
  MODBUS_LEASE_MS: z.coerce.number().int().min(1000).default(15_000),
  /** Endpoints (gateway connections) one instance holds at most. */
  MODBUS_MAX_ENDPOINTS: z.coerce.number().int().min(1).max(10_000).default(200),
  MODBUS_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
  /** Back-off after an endpoint failure, doubling per failure, and its circuit: failures to open, then cool-down. */
  MODBUS_BACKOFF_BASE_MS: z.coerce.number().int().min(100).default(1000),
  MODBUS_BACKOFF_MAX_MS: z.coerce.number().int().min(100).default(60_000),
  MODBUS_CIRCUIT_THRESHOLD: z.coerce.number().int().min(1).default(5),
  MODBUS_CIRCUIT_COOLDOWN_MS: z.coerce.number().int().min(100).default(120_000),
  /** An HTTP device waits this long at most for a command (GET /device/commands?waitS=). */
  HTTP_COMMAND_MAX_WAIT_S: z.coerce.number().int().min(0).max(120).default(30),
  /** Devices waiting for commands on one instance at most; more are told to come back later. */
  HTTP_COMMAND_WAITERS: z.coerce.number().int().min(1).default(10_000),
  /** The OPC UA connector. Default: on, except under NODE_ENV=test, where a test turns it on. */
  OPCUA_ENABLED: z.enum(['true', 'false']).optional(),
  /** OPC UA bindings (one session each) one instance holds at most. */
  OPCUA_MAX_SESSIONS: z.coerce.number().int().min(1).max(1000).default(100),
  /** How often an instance renews its leases and looks for bindings nobody holds. */
  OPCUA_TICK_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  /** A binding's lease: another instance takes it over this long after its holder stopped renewing. */
  OPCUA_LEASE_S: z.coerce.number().int().min(2).max(600).default(30),
  /** Connecting, a session, and one read, write or call give up after this long. */
  OPCUA_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(10_000),
  /** The first retry after a failed connection, doubling per failure up to the maximum. */
  OPCUA_BACKOFF_BASE_MS: z.coerce.number().int().min(100).default(2000),
  OPCUA_BACKOFF_MAX_MS: z.coerce.number().int().min(100).default(120_000),
  /** Consecutive failed connections after which the binding's circuit shows open (retried at the maximum). */
  OPCUA_CIRCUIT_THRESHOLD: z.coerce.number().int().min(1).default(5),
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
  /** How often night-flow step rules re-judge their DMAs' last nights (a night changes only as late data lands). */
  ALERT_NIGHT_FLOW_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
  /** A rule preview (POST /alert-rules/preview) evaluates at most this many targets and stored readings. */
  ALERT_PREVIEW_MAX_TARGETS: z.coerce.number().int().min(1).max(10_000).default(100),
  ALERT_PREVIEW_MAX_POINTS: z.coerce.number().int().min(10).max(5_000_000).default(250_000),
  /** Notification deliveries: attempts before a delivery is marked failed, and the first retry delay (doubling). */
  NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  NOTIFY_RETRY_BASE_MS: z.coerce.number().int().min(10).default(30_000),
  NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /**
   * Webhooks go to public https addresses only, so a user cannot aim the server at its own network. CIDR blocks
   * listed here (a plant's own receivers: `10.20.0.0/16,fd00:1::/64`) are allowed too, plain http included.
   */
  NOTIFY_WEBHOOK_ALLOW_NETWORKS: networkList,
  /** SMTP server for e-mail notifications (smtp://user:pass@host:587 or smtps://...); unset: e-mails fail. */
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  NOTIFY_EMAIL_FROM: z.string().min(3).default('Tidewatch <alerts@tidewatch.invalid>'),
  /** How often escalation steps run and SMS messages are sent (every instance; the database shares the work). */
  ESCALATION_TICK_MS: z.coerce.number().int().min(50).default(5000),
  /** An HTTP SMS gateway (see modules/escalation/sms-gateway.ts); unset: escalation messages wait unsent. */
  SMS_GATEWAY_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** `generic` (a JSON template) or `twilio` (Twilio's Messages API form, or a compatible gateway). */
  SMS_GATEWAY_FORMAT: z.enum(['generic', 'twilio']).default('generic'),
  /** Basic auth for the gateway: Twilio's account SID and auth token. */
  SMS_GATEWAY_USERNAME: z.string().min(1).optional(),
  SMS_GATEWAY_PASSWORD: z.string().min(1).optional(),
  /** The generic gateway's JSON body, with {{to}}, {{from}} and {{body}}. */
  SMS_GATEWAY_TEMPLATE: z.string().min(2).optional(),
  SMS_FROM: z.string().min(1).max(32).default('Tidewatch'),
  SMS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(5),
  SMS_RETRY_BASE_MS: z.coerce.number().int().min(10).default(30_000),
  /** The daily operations report per tenant, kept and e-mailed to its supervisors and administrators. */
  DAILY_REPORT: z.enum(['on', 'off']).default('on'),
  /** The local hour (each tenant's time zone) from which the report of the day before is made. */
  DAILY_REPORT_HOUR: z.coerce.number().int().min(0).max(23).default(6),
  DAILY_REPORT_TICK_MS: z.coerce.number().int().min(100).default(60_000),
  /** Redis (redis://host:6379) that carries Socket.IO events between instances; unset: one instance. */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  /** For rediss:// to a Redis whose certificate a private CA signed; the system's CAs otherwise. */
  REDIS_CA_FILE: z.string().min(1).optional(),
  /** Prefix of the Redis channels, so several deployments can share one Redis. */
  REALTIME_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
    .default('tidewatch'),
  /** Live telemetry is sent to each client at most this often, the latest reading per series. */
  REALTIME_COALESCE_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  /** Sockets one broadcast writes to in one event-loop turn; the rest follow in the next turns. */
  REALTIME_SOCKETS_PER_TURN: z.coerce.number().int().min(1).max(100_000).default(500),
  /** How often each socket's user, role, zones and session are checked against the database. */
  REALTIME_REVALIDATE_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  /** Packets waiting for a client that does not read; beyond this it is disconnected (it resyncs on reconnect). */
  REALTIME_MAX_BUFFERED: z.coerce.number().int().min(10).default(5000),
  /**
   * Connections of the three pools: requests and sockets, ingest (device writes and their lookups), and jobs
   * (alert engine, retention, commands, ThingSpeak), so a slow one cannot starve the others. Ingest needs more
   * than INGEST_BATCHES_IN_FLIGHT: the rest serve the device lookups and sign-ins while every batch is writing.
   */
  DB_POOL_API: z.coerce.number().int().min(1).max(200).default(12),
  DB_POOL_INGEST: z.coerce.number().int().min(1).max(200).default(6),
  DB_POOL_JOBS: z.coerce.number().int().min(1).max(200).default(4),
  /**
   * How long a pooled connection may sit idle before it is closed. A connection's first statements cost several
   * times its later ones (plans, catalog caches, PostGIS and PROJ set up, shared memory mapped page by page: a
   * first map tile 240 ms where the same tile takes 75 ms after), so a lull of a few seconds must not empty the
   * pools; pg's own default closed them after 10 s.
   */
  DB_POOL_IDLE_MS: z.coerce.number().int().min(1000).default(600_000),
  /** How long a pooled connection lives at most, so a backend's caches and memory are renewed now and then. */
  DB_POOL_MAX_LIFETIME_S: z.coerce.number().int().min(60).default(3600),
  /** How long a caller waits for a pooled connection before the answer is 503 (ingest: retried). */
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** Overrides of the application role's timeouts (5 s, 2 s, 10 s, set by migration), for every connection. */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).optional(),
  DB_LOCK_TIMEOUT_MS: z.coerce.number().int().min(10).optional(),
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(100).optional(),
  /** On SIGTERM: requests, ingest and alerts drain for at most this long, then the process exits anyway. */
  SHUTDOWN_DEADLINE_MS: z.coerce.number().int().min(100).default(20_000),
  /**
   * The living demo: the demo devices report simulated readings over the embedded broker and a scripted fault
   * starts every few minutes. `auto` (default): on under NODE_ENV=development when the database holds demo devices
   * still on the published secret; `off`: never. Never under NODE_ENV=production (`on` there is refused).
   */
  SIMULATOR: z.enum(['auto', 'on', 'off']).default('auto'),
  /** How often each simulated device reports, and how often while an event watches it closely. */
  SIMULATOR_REPORT_MS: z.coerce.number().int().min(100).default(30_000),
  SIMULATOR_FAST_REPORT_MS: z.coerce.number().int().min(100).default(5000),
  /** A scripted event (overflow, burst, chatter, silent logger, battery) starts this often. */
  SIMULATOR_EVENT_EVERY_S: z.coerce.number().min(0.1).default(180),
  /** Multiplies the events' durations: below 1 plays the script faster (the rules' own delays stay as they are). */
  SIMULATOR_PACE: z.coerce.number().gt(0).max(10).default(1),
  /** The events played in turn, comma-separated; empty: none, only the daily cycle. */
  SIMULATOR_EVENTS: z
    .string()
    .default(scriptedEventKinds.join(','))
    .transform((text) =>
      text
        .split(',')
        .map((kind) => kind.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(scriptedEventKinds))),
  /** The demo devices' shared secret, as the seed was given it (the simulator signs in with it). */
  DEMO_DEVICE_SECRET: z.string().min(1).default('tidewatch-demo-device'),
  /** Retention of readings and records (RETENTION_*), shared with `npm run db:partitions`; floors in the database. */
  ...retentionEnvShape,
});

type Env = z.infer<typeof envSchema>;

export type Config = Omit<Env, 'CORS_ORIGINS' | 'LOG_ACCESS_SAMPLE'> & {
  readonly CORS_ORIGINS: string[];
  readonly LOG_ACCESS_SAMPLE: number;
  readonly databaseUrl: string;
  readonly thingSpeakEnabled: boolean;
  /** Whether to look for demo devices and simulate them (SIMULATOR, development only). */
  readonly simulatorWanted: boolean;
  readonly opcuaEnabled: boolean;
  readonly lorawanEnabled: boolean;
};

const DEVELOPMENT_CORS = 'http://localhost:5173,http://127.0.0.1:5173,tidewatch://console';

/** The desktop app's origin; Vite's dev server only in development, where a console is served from it. */
function corsOrigins(env: Env): string[] {
  const configured =
    env.CORS_ORIGINS ?? (env.NODE_ENV === 'development' ? DEVELOPMENT_CORS : 'tidewatch://console');
  return configured
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
}

/** Settings that only mean something together; each message names what is missing. */
function combinationProblems(env: Env): string[] {
  const rules: [boolean, string][] = [
    [
      (env.TLS_CERT_FILE === undefined) !== (env.TLS_KEY_FILE === undefined),
      'set TLS_CERT_FILE and TLS_KEY_FILE together',
    ],
    [env.TLS_CA_FILE !== undefined && env.TLS_CERT_FILE === undefined, 'TLS_CA_FILE needs TLS_CERT_FILE'],
    [
      env.MQTT_TLS_PORT !== undefined && env.TLS_CERT_FILE === undefined,
      'MQTT_TLS_PORT needs TLS_CERT_FILE and TLS_KEY_FILE',
    ],
    [
      env.MQTT_TLS_CA_FILE !== undefined && env.MQTT_TLS_PORT === undefined,
      'MQTT_TLS_CA_FILE needs MQTT_TLS_PORT',
    ],
    [
      env.MQTT_PORT === 'off' && env.MQTT_TLS_PORT === undefined && env.MQTT_URL === undefined,
      'MQTT_PORT=off needs MQTT_TLS_PORT',
    ],
    [
      (env.MQTT_CLIENT_CERT_FILE === undefined) !== (env.MQTT_CLIENT_KEY_FILE === undefined),
      'set MQTT_CLIENT_CERT_FILE and MQTT_CLIENT_KEY_FILE together',
    ],
    [
      (env.MQTT_BROKER_CA_FILE ?? env.MQTT_CLIENT_CERT_FILE) !== undefined &&
        !env.MQTT_URL?.startsWith('mqtts:'),
      'MQTT_BROKER_CA_FILE and MQTT_CLIENT_CERT_FILE need an mqtts:// MQTT_URL',
    ],
    [env.MAP_TILE_ORIGINS.length > 0 && !env.MAP_STYLE_URL, 'MAP_TILE_ORIGINS needs MAP_STYLE_URL'],
    [
      env.REDIS_CA_FILE !== undefined && !env.REDIS_URL?.startsWith('rediss:'),
      'REDIS_CA_FILE needs a rediss:// REDIS_URL',
    ],
  ];
  return rules.filter(([broken]) => broken).map(([, message]) => message);
}

/** Parses and validates all configuration once at start-up; the error names each bad variable. */
/** The broker limits alone, for the CLI that writes Mosquitto's configuration (same variables, same defaults). */
export function loadMqttLimits(env: NodeJS.ProcessEnv = process.env) {
  return envSchema
    .pick({ MQTT_MAX_PAYLOAD_BYTES: true, MQTT_MAX_CONNECTIONS: true, MQTT_MAX_KEEPALIVE_S: true })
    .parse(env);
}

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
  if (parsed.data.NODE_ENV === 'production' && parsed.data.TIDEWATCH_SECRET_KEY_FILE === undefined) {
    throw new Error(
      'Invalid configuration: TIDEWATCH_SECRET_KEY_FILE must be set when NODE_ENV=production (make the file with: openssl rand -base64 32)',
    );
  }
  // A reading older than raw retention would land in a partition retention is about to drop.
  if (parsed.data.INGEST_MAX_AGE_DAYS > parsed.data.RETENTION_RAW_DAYS) {
    throw new Error('Invalid configuration: INGEST_MAX_AGE_DAYS must not exceed RETENTION_RAW_DAYS');
  }
  if (parsed.data.NODE_ENV === 'production' && parsed.data.SIMULATOR === 'on') {
    throw new Error('Invalid configuration: SIMULATOR=on is refused when NODE_ENV=production');
  }
  const problems = combinationProblems(parsed.data);
  if (problems.length > 0) throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return {
    ...parsed.data,
    CORS_ORIGINS: corsOrigins(parsed.data),
    LOG_ACCESS_SAMPLE: parsed.data.LOG_ACCESS_SAMPLE ?? (parsed.data.NODE_ENV === 'production' ? 0.01 : 1),
    databaseUrl: readDatabaseUrls(env).appUrl,
    thingSpeakEnabled: (parsed.data.THINGSPEAK_ENABLED ?? String(parsed.data.NODE_ENV !== 'test')) === 'true',
    simulatorWanted:
      parsed.data.NODE_ENV !== 'production' &&
      (parsed.data.SIMULATOR === 'on' ||
        (parsed.data.SIMULATOR === 'auto' && parsed.data.NODE_ENV === 'development')),
    opcuaEnabled: (parsed.data.OPCUA_ENABLED ?? String(parsed.data.NODE_ENV !== 'test')) === 'true',
    lorawanEnabled: (parsed.data.LORAWAN_ENABLED ?? String(parsed.data.NODE_ENV !== 'test')) === 'true',
  };
}
