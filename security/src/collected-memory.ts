import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * This process's memory after two full collections, in MB to one decimal: what an abuse left behind in the server
 * running inside the test. `rss` for what the machine pays, `heapUsed` for what JavaScript kept.
 */
export function collectedMemoryMb(kind: 'rss' | 'heapUsed'): number {
  gc();
  gc();
  return Math.round((process.memoryUsage()[kind] / 1_048_576) * 10) / 10;
}
