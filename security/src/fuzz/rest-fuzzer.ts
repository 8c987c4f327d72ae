import type { Role } from '@tidewatch/shared';
import { classifyAnswer } from '../answer-check.ts';
import type { HttpClient, RawResponse } from '../http-client.ts';
import type { Random } from '../random.ts';
import { leaksIn, type TenantFootprint } from '../tenant-data.ts';
import { FindingLog, Tally } from './findings.ts';
import type { Operation } from './openapi.ts';
import { buildRestCase, type CaseSources, type RestCase, type Sender } from './rest-cases.ts';
import { expectationFor, parseJsonBody, type RouteContract } from './rest-oracle.ts';
import { runBounded } from './run-bounded.ts';
import { storedMismatches } from './stored-check.ts';

export interface RestFuzzOptions {
  readonly http: HttpClient;
  readonly operations: readonly Operation[];
  readonly routes: ReadonlyMap<string, RouteContract>;
  readonly sources: CaseSources;
  readonly roles: Readonly<Record<Sender, Role | null>>;
  readonly random: Random;
  /** Case numbers: [first, first + count). */
  readonly first: number;
  readonly count: number;
  readonly concurrency: number;
  /** Valid-looking cases too (they change the fuzz tenant), or only hostile ones. */
  readonly allowValid: boolean;
  /** Another tenant, none of whose ids may appear in any answer. */
  readonly foreign: TenantFootprint;
  /** Called every `healthEvery` cases; throws if the server is no longer ready. */
  readonly healthCheck: () => Promise<void>;
  readonly healthEvery: number;
  /** A created resource's id, to aim later cases at it. */
  readonly onCreated: (operation: Operation, id: string) => void;
}

export interface RestFuzzReport {
  readonly cases: number;
  /** Hostile-only runs: cases left out because no retry made them invalid. */
  readonly skipped: number;
  readonly byStatus: Record<string, number>;
  readonly byKind: Record<string, number>;
  readonly byStage: Record<string, number>;
  readonly validAccepted: number;
  readonly storedChecked: number;
  readonly healthChecks: number;
  readonly findings: FindingLog;
  readonly seconds: number;
}

export const routeKey = (method: string, path: string): string => `${method.toLowerCase()} ${path}`;

function createdId(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  if (typeof record.id === 'string') return record.id;
  for (const wrapper of ['device', 'rule']) {
    const inner = record[wrapper];
    if (typeof inner === 'object' && inner !== null && typeof (inner as { id?: unknown }).id === 'string') {
      return (inner as { id: string }).id;
    }
  }
  return undefined;
}

/** Sends `count` generated cases with bounded concurrency over keep-alive and judges every answer. */
export async function fuzzRest(options: RestFuzzOptions): Promise<RestFuzzReport> {
  const started = Date.now();
  const findings = new FindingLog();
  const statuses = new Tally();
  const kinds = new Tally();
  const stages = new Tally();
  let validAccepted = 0;
  let storedChecked = 0;
  let healthChecks = 0;
  let skipped = 0;
  const getRoutes = new Set(options.operations.filter((o) => o.method === 'get').map((o) => o.routePath));

  const contractOf = (testCase: RestCase): RouteContract => {
    const route = options.routes.get(routeKey(testCase.operation.method, testCase.operation.routePath));
    if (!route) throw new Error(`no registry route for ${testCase.operation.routePath}`);
    return route;
  };
  const wouldSucceed = (testCase: RestCase): boolean =>
    expectationFor(contractOf(testCase), testCase, options.roles[testCase.sender]).success;

  const judge = async (testCase: RestCase, response: RawResponse): Promise<void> => {
    const route = contractOf(testCase);
    const where = `${testCase.request.method} ${testCase.request.path.slice(0, 160)}`;
    const note = (category: string, detail: string): void => {
      findings.add({
        category,
        caseIndex: testCase.index,
        kind: testCase.kind,
        request: where,
        status: response.status,
        detail,
      });
    };
    const answer = classifyAnswer(response);
    if (answer.kind === 'broken') {
      note('broken', `${answer.reason}: ${response.text.slice(0, 200)}`);
      return;
    }
    if (!testCase.operation.documentedStatuses.has(response.status)) {
      note('undocumented', `${String(response.status)} is not in the operation's OpenAPI responses`);
    }
    const expected = expectationFor(route, testCase, options.roles[testCase.sender]);
    stages.add(expected.stage);
    if (answer.kind === 'success' && !expected.success) {
      note('accepted-invalid', `succeeded, but the ${expected.stage} stage should have refused it`);
    }
    if (answer.kind === 'problem' && !expected.codes.has(answer.code)) {
      note(
        'unexpected-problem',
        `${answer.code}, expected ${[...expected.codes].join('|')} (${expected.stage}): ${response.text.slice(0, 200)}`,
      );
    }
    const leaks = leaksIn(
      response.text,
      options.foreign,
      `${testCase.request.path} ${testCase.bodyText ?? ''}`,
    );
    if (leaks.length > 0) note('leak', `shows another tenant's ${leaks.slice(0, 3).join(', ')}`);
    if (
      answer.kind !== 'success' ||
      testCase.operation.method === 'get' ||
      testCase.operation.method === 'delete'
    )
      return;
    validAccepted += 1;
    const input = route.body?.safeParse(parseJsonBody(testCase.bodyText) ?? {});
    if (!input?.success) return;
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch {
      return;
    }
    // What the write answered must be what was sent (after the schema's own normalisation).
    for (const mismatch of storedMismatches(input.data, body)) note('not-stored', `answer: ${mismatch}`);
    const id = createdId(body);
    if (testCase.operation.method !== 'post' || id === undefined) return;
    const collection = `/${testCase.operation.routePath.split('/')[1] ?? ''}/:id`;
    if (!getRoutes.has(collection) || testCase.operation.routePath.includes(':')) return;
    // A new resource nobody else has been told of yet: read it back, race-free.
    const token = testCase.request.headers?.authorization;
    const stored = await options.http.send({
      method: 'GET',
      path: `/api/v1${collection.replace(':id', id)}`,
      headers: token === undefined ? {} : { authorization: token },
    });
    storedChecked += 1;
    if (stored.status !== 200) note('not-stored', `GET after create: ${String(stored.status)}`);
    else
      for (const mismatch of storedMismatches(input.data, JSON.parse(stored.text)))
        note('not-stored', `read back: ${mismatch}`);
    options.onCreated(testCase.operation, id);
  };

  await runBounded(options.count, options.concurrency, async (offset) => {
    const index = options.first + offset;
    const random = options.random.fork(`case-${String(index)}`);
    const operation = options.operations[index % options.operations.length];
    if (!operation) return;
    let testCase = buildRestCase(index, operation, options.sources, random, options.allowValid);
    // Hostile-only runs send only what must be refused (a mutation can leave a request valid: an optional
    // field removed, an unknown query parameter), so "nothing changed" is a fair check.
    for (let retry = 0; !options.allowValid && wouldSucceed(testCase) && retry < 20; retry += 1) {
      testCase = buildRestCase(index, operation, options.sources, random, false);
    }
    if (!options.allowValid && wouldSucceed(testCase)) {
      skipped += 1;
      return;
    }
    kinds.add(testCase.kind.split(':')[0] ?? testCase.kind);
    let response: RawResponse;
    try {
      response = await options.http.send(testCase.request);
    } catch (error) {
      findings.add({
        category: 'no-answer',
        caseIndex: index,
        kind: testCase.kind,
        request: `${testCase.request.method} ${testCase.request.path.slice(0, 160)}`,
        status: null,
        detail: String(error),
      });
      return;
    }
    statuses.add(String(response.status));
    await judge(testCase, response);
    if ((offset + 1) % options.healthEvery === 0) {
      healthChecks += 1;
      await options.healthCheck();
    }
  });
  return {
    cases: options.count - skipped,
    skipped,
    byStatus: statuses.counts,
    byKind: kinds.counts,
    byStage: stages.counts,
    validAccepted,
    storedChecked,
    healthChecks,
    findings,
    seconds: (Date.now() - started) / 1000,
  };
}
