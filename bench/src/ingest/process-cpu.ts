import { readFile } from 'node:fs/promises';
import type pg from 'pg';

// CPU seconds (user + system) of processes on this machine, from /proc/<pid>/stat: the server's own process and
// the PostgreSQL backends serving the benchmark's database.

/** Linux's USER_HZ, which /proc reports times in. */
const TICKS_PER_SECOND = 100;

/** CPU seconds `pid` has used so far; 0 when it is gone or unreadable. */
export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${String(pid)}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, inside parentheses): utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU seconds so far of each backend connected to the database `admin` is connected to, by pid. */
export async function backendCpuSeconds(admin: pg.Client): Promise<Map<number, number>> {
  const backends = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database()',
  );
  const seconds = new Map<number, number>();
  for (const { pid } of backends.rows) seconds.set(pid, await cpuSeconds(pid));
  return seconds;
}

/**
 * CPU the database's backends use from now until `stop`: read every second, so a backend that ends in between
 * (a pool closing an idle connection) still counts, up to its last second.
 */
export function trackBackendCpu(admin: pg.Client): { stop(): Promise<number> } {
  let first: Map<number, number> | null = null;
  const last = new Map<number, number>();
  const read = async (): Promise<void> => {
    const now = await backendCpuSeconds(admin);
    first ??= now;
    for (const [pid, seconds] of now) last.set(pid, seconds);
  };
  let reading = read();
  const timer = setInterval(() => {
    reading = reading.then(read);
  }, 1000);
  return {
    stop: async () => {
      clearInterval(timer);
      await reading;
      await read();
      let total = 0;
      for (const [pid, seconds] of last) total += seconds - (first?.get(pid) ?? 0);
      return total;
    },
  };
}
