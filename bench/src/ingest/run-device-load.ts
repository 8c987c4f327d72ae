import { spawn } from 'node:child_process';
import path from 'node:path';

export interface DeviceLoad {
  readonly brokerUrl: string;
  readonly devices: readonly { readonly id: string; readonly secret: string }[];
  readonly metricKeys: readonly string[];
  /** Readings of each metric in one message: an array of this many reading messages (1: a single message). */
  readonly samplesPerMessage: number;
  readonly messagesPerSecond: number;
  readonly durationSeconds: number;
}

export interface DeviceLoadResult {
  readonly sent: number;
  readonly acknowledged: number;
  readonly failed: number;
  /** Seconds it took every device to connect, before the first message. */
  readonly connectSeconds: number;
}

/**
 * Runs simulated devices in a process of their own (device-load.ts), so they do not share the server's loop;
 * `onPublishing` is called once they are connected and start publishing. The
 * settings (thousands of devices) go through its stdin: the command line and environment have size limits.
 */
export function runDeviceLoad(
  load: DeviceLoad,
  onPublishing: () => void = () => undefined,
): Promise<DeviceLoadResult> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'device-load.ts')],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  child.stdin.end(JSON.stringify(load));
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const before = output;
    output += chunk.toString();
    // Its first line says every device is connected and publishing begins.
    if (!before.includes('\n') && output.includes('\n')) onPublishing();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the load generator exited with ${String(code)}`));
      else resolve(JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as DeviceLoadResult);
    });
  });
}
