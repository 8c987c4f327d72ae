import { request } from 'node:https';

/** Reads Prometheus text exposition into `name{labels}` → value, labels in the order the server writes them. */
export function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** The sum of every sample of `name` whose labels include all of `labels`. */
export function sumOf(
  samples: ReadonlyMap<string, number>,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  let total = 0;
  for (const [key, value] of samples) {
    if (key !== name && !key.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([label, wanted]) => key.includes(`${label}="${wanted}"`)))
      total += value;
  }
  return total;
}

/** Reads `/metrics` of a server that answers HTTPS with a certificate of `ca`. */
export function readMetricsOverTls(serverUrl: string, ca: Buffer): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    request(`${serverUrl}/metrics`, { ca, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => {
        resolve(parsePrometheus(text));
      });
    })
      .on('error', reject)
      .end();
  });
}
