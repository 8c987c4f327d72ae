import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { hostname } from 'node:os';
import { retentionPolicyOf } from '@tidewatch/db';
import type pg from 'pg';
import { createApp } from './app.ts';
import type { Config } from './config.ts';
import type { AnyRoute } from './http/route.ts';
import { createLogger, type Logger } from './logger.ts';
import { createEmailSender } from './modules/alert-engine/email-sender.ts';
import { AccountNotices } from './modules/auth/account-notices.ts';
import { CredentialChecks } from './modules/auth/credential-checks.ts';
import { createDeviceAuth } from './modules/device-auth/device-auth.ts';
import { bootstrapSuperAdmin } from './modules/auth/bootstrap-admin.ts';
import { loadSigningKey } from './modules/auth/signing-key.ts';
import type { SecretBox } from './modules/secrets/secret-box.ts';
import { startSecrets } from './modules/secrets/start-secrets.ts';
import { AccessTokens } from './modules/auth/access-token.ts';
import { AccessListener } from './modules/auth/access-listener.ts';
import { warmMapConnections } from './modules/spatial/map-warm-up.ts';
import { PrincipalCache } from './modules/auth/principal-cache.ts';
import { startRealtimeGateway, type RealtimeGateway } from './modules/realtime/realtime-gateway.ts';
import { EventBus } from './events/event-bus.ts';
import { IngestService } from './modules/ingest/ingest-service.ts';
import { AlertEngine } from './modules/alert-engine/alert-engine.ts';
import { CommandDispatcher } from './modules/commands/command-dispatcher.ts';
import { MaintenanceReminders } from './modules/maintenance/maintenance-reminders.ts';
import { pruneIdempotencyKeys } from './http/idempotency.ts';
import { DeviceConnectivity } from './modules/connectivity/device-connectivity.ts';
import { DeviceStateBuffer, deviceStateLagMs } from './modules/connectivity/device-state-buffer.ts';
import type { BrokerConnection } from './modules/mqtt/broker-connection.ts';
import { DeviceInbox } from './modules/mqtt/device-inbox.ts';
import { startEmbeddedBroker } from './modules/mqtt/embedded-broker.ts';
import { connectExternalBroker } from './modules/mqtt/external-broker.ts';
import { serverClientId } from './modules/mqtt/server-client-id.ts';
import { openDatabasePools } from './operations/database-pools.ts';
import { demoListenHosts, type ListenHosts } from './operations/demo-exposure.ts';
import { createMetrics } from './operations/metrics.ts';
import { startPartitionJob } from './operations/partition-job.ts';
import { startRollupJob } from './modules/telemetry/rollup-job.ts';
import { LorawanConnector } from './modules/lorawan/lorawan-connector.ts';
import { ThingSpeakPoller } from './modules/thingspeak/thingspeak-poller.ts';
import { loadDemoFleet, type DemoDevice } from './modules/simulator/demo-fleet.ts';
import { DemoSimulator } from './modules/simulator/demo-simulator.ts';
import { EscalationRunner } from './modules/escalation/escalation-runner.ts';
import { DailyReportJob } from './modules/reports/daily-report-job.ts';
import { modbusAddressAllowed } from './modules/modbus/address-policy.ts';
import { ModbusPoller } from './modules/modbus/modbus-poller.ts';
import { OpcuaConnector } from './modules/opcua/opcua-connector.ts';
import { httpsFiles, mqttTlsFiles, readBrokerClientFiles, readTlsContext } from './operations/tls-files.ts';

export interface RunningServer {
  readonly server: Server;
  readonly routes: readonly AnyRoute[];
  readonly bus: EventBus;
  /** The alert engine; null when ALERT_ENGINE_ENABLED=false. */
  readonly alerts: AlertEngine | null;
  /** The embedded broker's plain-text port; null when off or an external broker is used. */
  readonly mqttPort: number | null;
  /** The embedded broker's MQTT over TLS port (MQTT_TLS_PORT), or null. */
  readonly mqttTlsPort: number | null;
  readonly url: string;
  /** Where the HTTP server and the embedded broker listen: 127.0.0.1 while the demo credentials work. */
  readonly hosts: ListenHosts;
  readonly log: Logger;
  /** The Socket.IO gateway on the same port. */
  readonly realtime: RealtimeGateway;
  /** Seals and opens the secrets stored in the database. */
  readonly secrets: SecretBox;
  /** Who is calling, per session, and the connection that keeps it current. */
  readonly principals: PrincipalCache;
  readonly accessListener: AccessListener;
  /** Escalation policies and SMS; null when ALERT_ENGINE_ENABLED=false. */
  readonly escalation: EscalationRunner | null;
  /** The daily operations report; null when DAILY_REPORT=off. */
  readonly dailyReports: DailyReportJob | null;
  /** The living demo (SIMULATOR), or null when it is off or there is nothing to simulate. */
  readonly simulator: DemoSimulator | null;
  /** Re-reads the TLS files (SIGHUP) for connections from now on; on a bad file it throws and keeps the old ones. */
  reloadCertificates(): Promise<void>;
  /** Stops accepting, lets requests in flight finish (up to `graceMs`), then closes the pool. */
  close(graceMs?: number): Promise<void>;
}

/** Wires the real dependencies and listens. Tests call it with PORT 0. */
export async function startServer(
  config: Config,
  log = createLogger(config.LOG_LEVEL, config.NODE_ENV === 'development'),
): Promise<RunningServer> {
  const pools = openDatabasePools(config, log);
  const db = pools.api;
  let shuttingDown = false;
  try {
    const secrets = await startSecrets(
      db.pool,
      { keyFile: config.TIDEWATCH_SECRET_KEY_FILE, production: config.NODE_ENV === 'production' },
      log,
    );
    const signingKey = await loadSigningKey(db.pool, config.ACCESS_TOKEN_KEY, secrets);
    await bootstrapSuperAdmin(
      db,
      log,
      config.TIDEWATCH_ADMIN_EMAIL && config.TIDEWATCH_ADMIN_PASSWORD
        ? { email: config.TIDEWATCH_ADMIN_EMAIL, password: config.TIDEWATCH_ADMIN_PASSWORD }
        : null,
    );
    const hosts = await demoListenHosts(
      db.pool,
      { http: config.HOST, mqtt: config.MQTT_HOST },
      config.DEMO_EXPOSE === 'true',
      log,
    );
    const metrics = createMetrics(pools.byName);
    const bus = new EventBus();
    const accountNotices = new AccountNotices(
      config.SMTP_URL
        ? createEmailSender(config.SMTP_URL, config.NOTIFY_EMAIL_FROM, config.NOTIFY_TIMEOUT_MS)
        : null,
      metrics.registry,
      log,
    );
    const deviceStates = new DeviceStateBuffer(pools.ingest, bus, log, {
      flushMs: config.DEVICE_STATE_FLUSH_MS,
      knownForMs: config.DEVICE_OFFLINE_AFTER_S * 1000,
    });
    const stateLagMs = deviceStateLagMs(config.DEVICE_STATE_FLUSH_MS);
    const ingest = new IngestService(
      pools.ingest,
      bus,
      metrics.registry,
      log,
      {
        queueCapacity: config.INGEST_QUEUE_CAPACITY,
        deviceShare: config.INGEST_DEVICE_SHARE,
        tenantShare: config.INGEST_TENANT_SHARE,
        maxBatch: config.INGEST_MAX_BATCH,
        batchesInFlight: config.INGEST_BATCHES_IN_FLIGHT,
        lingerMs: config.INGEST_LINGER_MS,
        deviceCacheMs: config.INGEST_DEVICE_CACHE_MS,
        window: {
          maxFutureMs: config.INGEST_MAX_FUTURE_S * 1000,
          maxAgeMs: config.INGEST_MAX_AGE_DAYS * 86_400_000,
        },
      },
      deviceStates,
    );
    const credentialChecks = new CredentialChecks(
      { concurrency: config.CREDENTIAL_CHECKS_CONCURRENCY, maxWaiting: config.CREDENTIAL_CHECKS_WAITING },
      metrics.registry,
    );
    const deviceAuth = createDeviceAuth(config, {
      directory: ingest.directory,
      checks: credentialChecks,
      bus,
      registry: metrics.registry,
      log,
    });
    deviceAuth.revocation.start();
    // Started before any transport, so no stored reading goes unevaluated.
    const alerts =
      config.ALERT_ENGINE_ENABLED === 'true'
        ? new AlertEngine(pools.jobs, bus, metrics.registry, log, {
            queueCapacity: config.ALERT_QUEUE_CAPACITY,
            maxBatch: config.ALERT_MAX_BATCH,
            jobIntervalMs: config.ALERT_JOB_INTERVAL_MS,
            ruleCacheMs: config.ALERT_RULE_CACHE_MS,
            floodThreshold: config.ALERT_FLOOD_THRESHOLD,
            floodWindowS: config.ALERT_FLOOD_WINDOW_S,
            nightFlowIntervalMs: config.ALERT_NIGHT_FLOW_INTERVAL_MS,
            stateLagMs,
            notifications: {
              maxAttempts: config.NOTIFY_MAX_ATTEMPTS,
              retryBaseMs: config.NOTIFY_RETRY_BASE_MS,
              timeoutMs: config.NOTIFY_TIMEOUT_MS,
              smtpUrl: config.SMTP_URL,
              emailFrom: config.NOTIFY_EMAIL_FROM,
              webhookPolicy: { allowNetworks: config.NOTIFY_WEBHOOK_ALLOW_NETWORKS },
              secrets,
            },
          })
        : null;
    alerts?.start();
    const escalation =
      config.ALERT_ENGINE_ENABLED === 'true'
        ? new EscalationRunner(pools.jobs, log.child({ module: 'escalation' }), {
            tickMs: config.ESCALATION_TICK_MS,
            gateway: config.SMS_GATEWAY_URL
              ? {
                  url: config.SMS_GATEWAY_URL,
                  format: config.SMS_GATEWAY_FORMAT,
                  username: config.SMS_GATEWAY_USERNAME,
                  password: config.SMS_GATEWAY_PASSWORD,
                  from: config.SMS_FROM,
                  template: config.SMS_GATEWAY_TEMPLATE,
                  timeoutMs: config.NOTIFY_TIMEOUT_MS,
                }
              : null,
            maxAttempts: config.SMS_MAX_ATTEMPTS,
            retryBaseMs: config.SMS_RETRY_BASE_MS,
          })
        : null;
    escalation?.start();
    const dailyReports =
      config.DAILY_REPORT === 'on'
        ? new DailyReportJob(db, log.child({ module: 'daily-report' }), {
            tickMs: config.DAILY_REPORT_TICK_MS,
            hour: config.DAILY_REPORT_HOUR,
            email: config.SMTP_URL
              ? createEmailSender(config.SMTP_URL, config.NOTIFY_EMAIL_FROM, config.NOTIFY_TIMEOUT_MS)
              : null,
          })
        : null;
    dailyReports?.start();
    const connectivity = new DeviceConnectivity(
      pools.ingest,
      bus,
      log,
      config.DEVICE_OFFLINE_AFTER_S * 1000,
      stateLagMs,
    );
    const commands = new CommandDispatcher(pools.jobs, bus, log);
    const inbox = new DeviceInbox(ingest, connectivity, commands, log, config.MQTT_MAX_PAYLOAD_BYTES);
    const https = httpsFiles(config);
    const mqttTls = mqttTlsFiles(config);
    const simulatorFleet = await demoFleetToSimulate(config, pools.jobs, log);
    const embedded = config.MQTT_URL
      ? null
      : await startEmbeddedBroker(
          {
            host: hosts.mqtt,
            port: config.MQTT_PORT === 'off' ? null : config.MQTT_PORT,
            maxPayloadBytes: config.MQTT_MAX_PAYLOAD_BYTES,
            connections: {
              // The simulator holds one connection per demo device, all from this machine.
              perAddress: config.MQTT_MAX_CONNECTIONS_PER_ADDRESS + simulatorFleet.length,
              total: config.MQTT_MAX_CONNECTIONS,
            },
            maxKeepaliveS: config.MQTT_MAX_KEEPALIVE_S,
            connectTimeoutMs: config.MQTT_CONNECT_TIMEOUT_S * 1000,
            ...(mqttTls && {
              tls: {
                port: mqttTls.port,
                context: await readTlsContext(mqttTls),
                requireDeviceCertificate: mqttTls.clientCaFile !== undefined,
              },
            }),
          },
          ingest,
          inbox,
          metrics.registry,
          log,
          deviceAuth,
        );
    const brokerClientFiles = embedded ? {} : await readBrokerClientFiles(config);
    const mqtt: BrokerConnection =
      embedded ??
      connectExternalBroker(
        {
          url: config.MQTT_URL ?? '',
          username: config.MQTT_USERNAME,
          password: config.MQTT_PASSWORD,
          clientId: serverClientId(
            config.MQTT_CLIENT_ID ?? `tidewatch-${hostname()}-${String(config.PORT)}`,
            config.MQTT_PASSWORD ?? brokerClientFiles.key ?? '',
          ),
          shareGroup: config.MQTT_SHARE_GROUP,
          tls: brokerClientFiles,
        },
        inbox,
        ingest.metrics,
        log,
      );
    connectivity.start();
    deviceStates.start();
    commands.start(mqtt, config.COMMAND_SWEEP_S * 1000);
    const reminders = new MaintenanceReminders(pools.jobs, bus, log);
    reminders.start(config.MAINTENANCE_REMINDER_INTERVAL_S * 1000);
    const keyPruning = setInterval(() => {
      pruneIdempotencyKeys(pools.jobs).catch((error: unknown) => {
        log.warn({ err: error }, 'old idempotency keys not pruned; trying again in an hour');
      });
    }, 3_600_000);
    keyPruning.unref();
    const principals = new PrincipalCache(db.pool, {
      ttlMs: config.PRINCIPAL_CACHE_TTL_MS,
      maxEntries: config.PRINCIPAL_CACHE_MAX,
    });
    const { listener, routes } = createApp({
      config,
      db,
      bus,
      ingest,
      log,
      metrics,
      signingKey,
      accountNotices,
      secrets,
      credentialChecks,
      deviceSignIn: deviceAuth.signIn,
      principals,
      isShuttingDown: () => shuttingDown,
      brokerReady: () => mqtt.connected(),
    });
    const stopPartitionJob = startPartitionJob(pools.jobs, log, retentionPolicyOf(config), metrics.registry);
    const rollups = startRollupJob(pools.jobs, log, metrics.registry, config.TELEMETRY_ROLLUP_INTERVAL_MS);
    const httpsServer = https ? createHttpsServer(await readTlsContext(https), listener) : null;
    const server: Server = httpsServer ?? createServer(listener);
    server.keepAliveTimeout = 65_000;
    const realtime = await startRealtimeGateway(server, {
      config,
      db,
      bus,
      tokens: new AccessTokens(signingKey, config.ACCESS_TOKEN_TTL_S),
      registry: metrics.registry,
      log,
    });
    const accessListener = new AccessListener(principals, bus, log, {
      url: config.databaseUrl,
      onChange: () => {
        realtime.accessChanged();
      },
    });
    await accessListener.start();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PORT, hosts.http, resolve);
    }).catch(async (error: unknown) => {
      await accessListener.stop();
      await realtime.close();
      throw error;
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    const url = `${https ? 'https' : 'http'}://127.0.0.1:${String(port)}`;
    log.info({ url }, 'tidewatch server listening');
    // In the background: a request that comes first opens its own connection, as it would have anyway.
    void warmMapConnections(db.pool, log);
    const thingSpeak = config.thingSpeakEnabled
      ? new ThingSpeakPoller(pools.jobs, ingest, metrics.registry, log, secrets, {
          baseUrl: config.THINGSPEAK_URL,
          timeoutMs: config.THINGSPEAK_TIMEOUT_MS,
          results: config.THINGSPEAK_RESULTS,
          concurrency: config.THINGSPEAK_CONCURRENCY,
          tickMs: config.THINGSPEAK_TICK_MS,
          maxAgeMs: config.INGEST_MAX_AGE_DAYS * 86_400_000,
          retry: {
            baseDelayMs: config.THINGSPEAK_BACKOFF_BASE_S * 1000,
            maxDelayMs: config.THINGSPEAK_BACKOFF_MAX_S * 1000,
            circuitThreshold: config.THINGSPEAK_CIRCUIT_THRESHOLD,
            circuitCooldownMs: config.THINGSPEAK_CIRCUIT_COOLDOWN_S * 1000,
          },
        })
      : null;
    thingSpeak?.start();
    const simulator =
      simulatorFleet.length > 0 && embedded?.port
        ? new DemoSimulator(
            simulatorFleet,
            {
              brokerUrl: `mqtt://${['0.0.0.0', '::', ''].includes(hosts.mqtt) ? '127.0.0.1' : hosts.mqtt}:${String(embedded.port)}`,
              deviceSecret: config.DEMO_DEVICE_SECRET,
              reportEveryMs: config.SIMULATOR_REPORT_MS,
              fastReportEveryMs: config.SIMULATOR_FAST_REPORT_MS,
              eventEveryMs: config.SIMULATOR_EVENT_EVERY_S * 1000,
              pace: config.SIMULATOR_PACE,
              events: config.SIMULATOR_EVENTS,
            },
            log.child({ module: 'simulator' }),
          )
        : null;
    simulator?.start();
    const modbus =
      config.MODBUS_ALLOW_NETWORKS.length > 0
        ? new ModbusPoller(pools.jobs, ingest, bus, metrics.registry, log, {
            tickMs: config.MODBUS_TICK_MS,
            leaseMs: config.MODBUS_LEASE_MS,
            maxEndpoints: config.MODBUS_MAX_ENDPOINTS,
            connectTimeoutMs: config.MODBUS_CONNECT_TIMEOUT_MS,
            retry: {
              baseDelayMs: config.MODBUS_BACKOFF_BASE_MS,
              maxDelayMs: config.MODBUS_BACKOFF_MAX_MS,
              circuitThreshold: config.MODBUS_CIRCUIT_THRESHOLD,
              circuitCooldownMs: config.MODBUS_CIRCUIT_COOLDOWN_MS,
            },
            allowed: (host) => modbusAddressAllowed(host, config.MODBUS_ALLOW_NETWORKS),
          })
        : null;
    modbus?.start();
    const opcua = config.opcuaEnabled
      ? new OpcuaConnector(pools.jobs, ingest, bus, metrics.registry, log, secrets, {
          maxSessions: config.OPCUA_MAX_SESSIONS,
          tickMs: config.OPCUA_TICK_MS,
          leaseMs: config.OPCUA_LEASE_S * 1000,
          timeoutMs: config.OPCUA_TIMEOUT_MS,
          backoffBaseMs: config.OPCUA_BACKOFF_BASE_MS,
          backoffMaxMs: config.OPCUA_BACKOFF_MAX_MS,
          circuitThreshold: config.OPCUA_CIRCUIT_THRESHOLD,
        })
      : null;
    opcua?.start();
    const lorawan = config.lorawanEnabled
      ? new LorawanConnector(pools.jobs, ingest, commands, bus, metrics.registry, log, secrets, {
          leaseMs: config.LORAWAN_LEASE_MS,
          tickMs: Math.min(config.LORAWAN_TICK_MS, Math.floor(config.LORAWAN_LEASE_MS / 3)),
          maxApplications: config.LORAWAN_MAX_APPLICATIONS,
          keepUplinksMs: config.LORAWAN_UPLINK_KEEP_DAYS * 86_400_000,
          maxMessageBytes: config.LORAWAN_MAX_MESSAGE_BYTES,
          retry: {
            baseDelayMs: config.LORAWAN_RECONNECT_BASE_MS,
            maxDelayMs: config.LORAWAN_RECONNECT_MAX_MS,
            circuitThreshold: config.LORAWAN_CIRCUIT_THRESHOLD,
            circuitCooldownMs: config.LORAWAN_CIRCUIT_COOLDOWN_S * 1000,
          },
        })
      : null;
    lorawan?.start();
    return {
      server,
      bus,
      alerts,
      mqttPort: embedded?.port ?? null,
      mqttTlsPort: embedded?.tlsPort ?? null,
      routes,
      url,
      hosts,
      log,
      realtime,
      secrets,
      principals,
      accessListener,
      simulator,
      escalation,
      dailyReports,
      async reloadCertificates() {
        const [httpsContext, mqttContext] = await Promise.all([
          https ? readTlsContext(https) : null,
          mqttTls ? readTlsContext(mqttTls) : null,
        ]);
        if (httpsContext) httpsServer?.setSecureContext(httpsContext);
        if (mqttContext) embedded?.setTlsContext(mqttContext);
        log.info('TLS certificates reloaded');
      },
      async close(graceMs = 10_000) {
        shuttingDown = true;
        // The simulated devices disconnect cleanly before the broker goes (no last will: none goes offline).
        await simulator?.close();
        // Sockets first: clients are told and reconnect to another instance while this one drains.
        await realtime.close();
        // A retention run in progress finishes before the pools end (it would log "Cannot use a pool...").
        const partitionJobStopped = stopPartitionJob();
        // A poll in flight finishes storing what it read; it needs ingest and the pool, which close last.
        const thingSpeakStopped = thingSpeak?.stop(graceMs);
        const modbusStopped = modbus?.stop(graceMs);
        // Sessions store what they hold, then give their bindings up for another instance to take at once.
        const opcuaStopped = opcua?.stop(graceMs);
        const lorawanStopped = lorawan?.stop();
        const closed = new Promise<void>((resolve) =>
          server.close(() => {
            resolve();
          }),
        );
        // Keep-alive connections go idle once their request is answered; close each as soon as it does.
        const sweeper = setInterval(() => {
          server.closeIdleConnections();
        }, 50);
        const timer = setTimeout(() => {
          server.closeAllConnections();
        }, graceMs);
        server.closeIdleConnections();
        await closed;
        clearInterval(sweeper);
        clearTimeout(timer);
        await commands.stop();
        clearInterval(keyPruning);
        await reminders.stop();
        await connectivity.stop();
        await deviceAuth.revocation.stop();
        await mqtt.close();
        await thingSpeakStopped;
        await modbusStopped;
        await opcuaStopped;
        await lorawanStopped;
        // Readings already acknowledged are committed before the pool goes.
        await ingest.close(graceMs);
        // The devices heard last are written before the pool goes.
        await deviceStates.stop();
        // The last stored readings are evaluated (and their alerts committed) before the pool goes.
        await alerts?.close(graceMs);
        await escalation?.close();
        await dailyReports?.close();
        await accountNotices.close();
        await accessListener.stop();
        await rollups.stop();
        await partitionJobStopped;
        await pools.close();
      },
    };
  } catch (error) {
    await pools.close();
    throw error;
  }
}

/** The demo devices the simulator plays, when SIMULATOR asks for it and the embedded broker carries devices. */
async function demoFleetToSimulate(config: Config, pool: pg.Pool, log: Logger): Promise<DemoDevice[]> {
  if (!config.simulatorWanted) return [];
  if (config.MQTT_URL || config.MQTT_PORT === 'off') {
    if (config.SIMULATOR === 'on')
      log.warn(
        'the demo simulator needs the embedded broker on a plain MQTT port (MQTT_URL unset, MQTT_PORT on)',
      );
    return [];
  }
  const fleet = await loadDemoFleet(pool);
  if (fleet.length === 0 && config.SIMULATOR === 'on')
    log.warn('SIMULATOR=on but no device holds the demo secret: nothing to simulate (seed the demo first)');
  return fleet;
}
