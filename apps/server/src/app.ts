import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Database } from '@tidewatch/db';
import cors from 'cors';
import express, { Router } from 'express';
import type { Config } from './config.ts';
import type { EventBus } from './events/event-bus.ts';
import { accessLog, requestWatcher } from './http/access-log.ts';
import { directLane, laneFailure, type RequestListener } from './http/direct-lane.ts';
import { consolePage } from './http/console-page.ts';
import { apiNotFound, errorHandler } from './http/error-handler.ts';
import { IdempotencyKeys } from './http/idempotency.ts';
import { jsonBody } from './http/json-body.ts';
import { buildOpenApiDocument } from './http/openapi.ts';
import { requestId } from './http/request-id.ts';
import { securityHeaders } from './http/security-headers.ts';
import { mountRoutes, type AnyRoute } from './http/route.ts';
import type { Logger } from './logger.ts';
import { apiRoutes } from './modules/api-routes.ts';
import { AccessTokens } from './modules/auth/access-token.ts';
import type { AccountNotices } from './modules/auth/account-notices.ts';
import type { CredentialChecks } from './modules/auth/credential-checks.ts';
import type { DeviceSignIn } from './modules/device-auth/device-sign-in.ts';
import { contextResolver } from './modules/auth/authenticate.ts';
import type { PrincipalCache } from './modules/auth/principal-cache.ts';
import type { IngestService } from './modules/ingest/ingest-service.ts';
import type { SecretBox } from './modules/secrets/secret-box.ts';
import { mapOrigins } from './modules/spatial/map-origins.ts';
import { operationsRouter } from './operations/health.routes.ts';
import type { Metrics } from './operations/metrics.ts';
import { metricsAccess } from './operations/metrics-access.ts';

export interface AppDeps {
  readonly config: Config;
  readonly db: Database;
  readonly bus: EventBus;
  readonly ingest: IngestService;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly signingKey: Uint8Array;
  /** E-mails users after changes to how their account signs in. */
  readonly accountNotices: AccountNotices;
  readonly secrets: SecretBox;
  /** The one gate every password and device secret check passes (bounded argon2 work). */
  readonly credentialChecks: CredentialChecks;
  readonly deviceSignIn: DeviceSignIn;
  /** Who is calling, per session; kept current by the access listener. */
  readonly principals: PrincipalCache;
  readonly isShuttingDown: () => boolean;
  readonly brokerReady: () => boolean;
}

export const API_VERSION = '1.0.0';

/**
 * Builds the HTTP application from its dependencies; only main.ts wires real ones and listens. `listener` is what
 * the server listens with: the direct lane for the hottest lists, the Express application for everything else.
 */
export function createApp(deps: AppDeps): {
  app: express.Express;
  listener: RequestListener;
  routes: readonly AnyRoute[];
} {
  const { config, db, log, metrics } = deps;
  const tokens = new AccessTokens(deps.signingKey, config.ACCESS_TOKEN_TTL_S);
  const routes = apiRoutes({ ...deps, tokens });
  const openApi = buildOpenApiDocument(routes, API_VERSION);

  const app = express();
  app.set('trust proxy', config.TRUST_PROXY);
  app.set('query parser', 'simple');
  app.disable('x-powered-by');
  // Hashing every body for an ETag costs more than it saves: the lists change with every alert.
  app.set('etag', false);
  const watch = requestWatcher(log, { sampleRate: config.LOG_ACCESS_SAMPLE, slowMs: config.LOG_SLOW_MS });
  const security = securityHeaders(mapOrigins(config));
  const apiCors = cors({
    origin: config.CORS_ORIGINS,
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit', 'RateLimit-Policy'],
  });
  const resolveContext = contextResolver(deps.principals, tokens, log);
  app.use(requestId);
  app.use(accessLog(watch));
  app.use(security);
  app.use((req, res, next) => {
    const stop = metrics.httpDuration.startTimer({ method: req.method });
    res.on('finish', () => {
      const route = req.route as { path?: string } | undefined;
      stop({
        route: route?.path ? `${req.baseUrl}${route.path}` : 'unmatched',
        status: String(res.statusCode),
      });
    });
    next();
  });
  app.use(laneFailure);

  app.use(
    operationsRouter(
      db,
      metrics,
      deps.isShuttingDown,
      deps.brokerReady,
      metricsAccess({ allowNetworks: config.METRICS_ALLOW_NETWORKS, token: config.METRICS_TOKEN }),
    ),
  );

  const api = Router();
  api.use(apiCors);
  api.get('/v1/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  const v1 = Router();
  mountRoutes(v1, routes, {
    resolveContext,
    jsonBody: jsonBody(config.BODY_LIMIT),
    largeJsonBody: jsonBody(config.IMPORT_BODY_LIMIT),
    publicJsonBody: jsonBody(config.PUBLIC_BODY_LIMIT),
    idempotency: new IdempotencyKeys(db),
  });
  api.use('/v1', v1);
  api.use(apiNotFound);
  app.use('/api', api);

  const consoleDir = config.CONSOLE_DIR ?? path.resolve(import.meta.dirname, '../../desktop/out/renderer');
  if (existsSync(path.join(consoleDir, 'index.html'))) {
    const page = consolePage(path.join(consoleDir, 'index.html'), mapOrigins(config));
    app.use(express.static(consoleDir, { index: false, maxAge: '1h' }));
    // The field app (a PWA for phones) is a second page of the same build, under its own path and scope.
    const fieldHtml = path.join(consoleDir, 'field', 'index.html');
    if (existsSync(fieldHtml)) {
      const fieldPage = consolePage(fieldHtml, mapOrigins(config));
      app.get(/^\/field(\/.*)?$/, (_req, res) => {
        res.type('html').set('cache-control', 'no-cache').send(fieldPage);
      });
    }
    app.get(/^(?!\/api\/|\/health\/).*/, (_req, res) => {
      res.type('html').set('cache-control', 'no-cache').send(page);
    });
  }

  app.use(errorHandler(log, metrics));
  const listener = directLane(
    { routes, prefix: '/api/v1', resolveContext, headerMiddleware: [security, apiCors], watch, metrics },
    app,
  );
  return { app, listener, routes };
}
