import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';

// A server's CPU time read from outside its process, so the gateway and the bare server are measured the same way
// and the figure does not depend on the load generator sharing the cores.

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User plus system CPU seconds the process has used so far (Linux: /proc/<pid>/stat). */
export async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const stat = await readFile(`/proc/${String(pid)}/stat`, 'utf8');
  // The command name, in parentheses, may hold spaces: count fields from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds per 1,000 messages delivered. */
export function perThousand(seconds: number, messages: number): number {
  return messages > 0 ? (seconds * 1000) / messages : Number.NaN;
}
