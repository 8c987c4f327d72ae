import type { Bar } from './svg-bar-chart.ts';

/** One benchmark's result, as the documentation shows it: a table and the bars of its chart. */
export interface Summary {
  readonly title: string;
  readonly what: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
  readonly chart: { readonly title: string; readonly unit: string; readonly bars: readonly Bar[] };
}

type Json = Record<string, unknown>;

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const num = (value: unknown): number => (typeof value === 'number' ? value : Number.NaN);
const obj = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});
const ratio = (value: number, limit: number): string =>
  Number.isFinite(value) && Number.isFinite(limit) && limit > 0
    ? `${(100 * (value / limit)).toFixed(1)} %`
    : 'n/a';

function ingest(result: Json): Summary {
  const passThrough = obj(result.limit).brokerPassThrough;
  const brokerLimit = num(obj(passThrough).readingsPerSecond);
  const rows: (string | number)[][] = [];
  const bars: Bar[] = [];
  for (const [broker, steps] of Object.entries(obj(result.results))) {
    for (const step of Array.isArray(steps) ? (steps as Json[]) : []) {
      const sustained = num(step.sustainedReadingsPerSecond);
      const latency = obj(step.latencyMs);
      const cpu = obj(step.cpuSeconds);
      // Each rate has its own COPY of the same rows in the same run.
      const copy = num(obj(step.copy).rowsPerSecond);
      const limit =
        broker === 'mosquitto' && Number.isFinite(brokerLimit) ? Math.min(copy, brokerLimit) : copy;
      rows.push([
        broker,
        num(step.offeredReadingsPerSecond),
        sustained,
        num(latency.p50),
        num(latency.p99),
        num(step.lostReadings),
        num(cpu.server),
        num(cpu.postgres),
        copy,
        ratio(sustained, copy),
      ]);
      bars.push({
        label: `${broker} @ ${String(step.offeredReadingsPerSecond)}/s offered`,
        value: sustained,
        limit,
      });
    }
  }
  if (Number.isFinite(brokerLimit))
    rows.push(['Mosquitto pass-through (limit)', '', brokerLimit, '', '', '', '', '', '', '']);
  return {
    title: 'Ingest over MQTT',
    what: text(result.note),
    header: [
      'broker',
      'offered readings/s',
      'sustained readings/s',
      'p50 ms',
      'p99 ms',
      'lost',
      'server CPU s',
      'PostgreSQL CPU s',
      'COPY rows/s',
      'of COPY',
    ],
    rows,
    chart: { title: 'Sustained ingest vs the database’s COPY of the same rows', unit: 'readings/s', bars },
  };
}

function alertLatency(result: Json): Summary {
  const latency = obj(result.latencyMs);
  const background = obj(result.background);
  return {
    title: 'Alert latency',
    what: text(result.note),
    header: ['background readings/s', 'probe alerts timed', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
    rows: [
      [
        num(background.achievedReadingsPerSecond),
        num(obj(result.probes).alertChangesTimed),
        num(latency.p50),
        num(latency.p90),
        num(latency.p99),
        num(latency.max),
      ],
    ],
    chart: {
      title: 'Reading published → alert committed and emitted',
      unit: 'ms',
      bars: ['p50', 'p90', 'p99', 'max'].map((key) => ({ label: key, value: num(latency[key]) })),
    },
  };
}

function restLatency(result: Json): Summary {
  const entries = Object.entries(obj(result.results)).map(([name, value]) => [name, obj(value)] as const);
  const limitOf = (rate: string): number =>
    num(entries.find(([name]) => name.startsWith('/health/live') && name.endsWith(rate))?.[1].achievedRate);
  const served = (step: Json): number => num(step.servedRate ?? step.achievedRate);
  const row = (name: string, step: Json, limit: number): (string | number)[] => {
    const latency = obj(step.latencyMs);
    return [
      name,
      num(step.offeredRate),
      served(step),
      num(latency.p50),
      num(latency.p95),
      num(latency.p99),
      num(step.errors),
      num(step.serverCpuMsPer1000),
      ratio(served(step), limit),
    ];
  };
  const rows = entries.map(([name, step]) => row(name, step, limitOf(name.slice(name.indexOf('@')))));
  for (const [endpoint, runs] of Object.entries(obj(result.steps))) {
    for (const step of Array.isArray(runs) ? (runs as Json[]) : []) {
      rows.push(row(`${endpoint} @ ${String(num(step.offeredRate))}/s (step)`, step, Number.NaN));
    }
  }
  const budget = num(obj(result.settings).p95BudgetMs);
  for (const [endpoint, highest] of Object.entries(obj(result.highestRateWithinBudget))) {
    rows.push([
      `${endpoint}: highest rate with p95 ≤ ${String(budget)} ms`,
      num(highest),
      '',
      '',
      '',
      '',
      '',
      '',
      '',
    ]);
  }
  return {
    title: 'REST latency (open loop)',
    what: text(result.note),
    header: [
      'endpoint @ offered',
      'offered req/s',
      'served req/s',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'errors',
      'server CPU ms / 1,000 req',
      'of /health/live',
    ],
    rows,
    chart: {
      title: 'Served request rate; limit: /health/live (no database) at the same offered rate',
      unit: 'req/s',
      bars: entries
        .filter(([name]) => !name.startsWith('/health/live'))
        .map(([name, step]) => ({
          label: name,
          value: served(step),
          limit: limitOf(name.slice(name.indexOf('@'))),
        })),
    },
  };
}

function mapTiles(result: Json): Summary {
  const zooms = Object.entries(obj(result.zooms));
  const view = obj(result.firstView);
  const rows: (string | number)[][] = zooms.map(([zoom, value]) => {
    const z = obj(value);
    const [cold, warm, kib] = [obj(z.coldLatencyMs), obj(z.warmLatencyMs), obj(z.wireKiB)];
    return [
      zoom,
      num(z.tiles),
      num(cold.p50),
      num(cold.p95),
      num(warm.p50),
      num(warm.p95),
      num(kib.p50),
      num(kib.max),
    ];
  });
  rows.push([
    `first view (z${String(num(view.zoom))}, six at a time)`,
    num(view.tiles),
    `${String(num(view.coldMs))} (all)`,
    '',
    `${String(num(view.warmMs))} (all)`,
    '',
    `${String(Math.round(num(view.wireBytes) / 1024))} (sum)`,
    '',
  ]);
  return {
    title: 'map-tiles',
    what: text(result.note),
    header: [
      'zoom',
      'tiles',
      'cold p50 ms',
      'cold p95 ms',
      'warm p50 ms',
      'warm p95 ms',
      'KiB p50',
      'KiB max',
    ],
    rows,
    chart: {
      title: 'Vector tile answer time, cold (cut by PostGIS), p95 per zoom',
      unit: 'ms',
      bars: zooms.map(([zoom, value]) => ({ label: zoom, value: num(obj(obj(value).coldLatencyMs).p95) })),
    },
  };
}

function payloadCheck(result: Json): Summary {
  const shapes = Object.entries(obj(result.results)).map(([shape, value]) => [shape, obj(value)] as const);
  return {
    title: 'Telemetry payload check',
    what: text(result.note),
    header: ['payload', 'zod µs', 'hand-written µs', 'JSON.parse µs', 'zod / hand-written'],
    rows: shapes.map(([shape, value]) => [
      shape,
      num(value.zodUs),
      num(value.handWrittenUs),
      num(value.jsonParseUs),
      num(value.speedup),
    ]),
    chart: {
      title: 'µs per message: zod schema vs hand-written check',
      unit: 'µs',
      bars: shapes.flatMap(([shape, value]) => [
        { label: `${shape}: zod`, value: num(value.zodUs) },
        { label: `${shape}: hand-written`, value: num(value.handWrittenUs) },
      ]),
    },
  };
}

/** Any other benchmark: its numeric fields, flattened, and its latency percentiles as bars. */
function generic(name: string, result: Json): Summary {
  const rows: (string | number)[][] = [];
  const walk = (prefix: string, value: unknown, depth: number): void => {
    if (typeof value === 'number') rows.push([prefix, value]);
    else if (typeof value === 'object' && value !== null && !Array.isArray(value) && depth < 4)
      for (const [key, inner] of Object.entries(value as Json))
        if (key !== 'machine' && key !== 'settings')
          walk(prefix ? `${prefix}.${key}` : key, inner, depth + 1);
  };
  walk('', result, 0);
  const bars = rows
    .filter(([label]) => /latency.*\.p(50|99)$|frame.*\.p(50|95|99)$/i.test(String(label)))
    .slice(0, 12)
    .map(([label, value]) => ({ label: String(label), value: Number(value) }));
  return {
    title: name,
    what: text(result.note),
    header: ['measure', 'value'],
    rows: rows.slice(0, 40),
    chart: { title: `${name}: latency percentiles`, unit: 'ms', bars },
  };
}

export function summarize(name: string, result: Json): Summary {
  if (name === 'ingest') return ingest(result);
  if (name === 'alert-latency') return alertLatency(result);
  if (name === 'rest-latency') return restLatency(result);
  if (name === 'map-tiles') return mapTiles(result);
  if (name === 'payload-check') return payloadCheck(result);
  return generic(name, result);
}
