import { spawn } from 'node:child_process';
import path from 'node:path';

export interface DeviceLoad {
  readonly brokerUrl: string;
  readonly devices: readonly { readonly id: string; readonly secret: string }[];
  readonly messagesPerSecond: number;
  readonly durationSeconds: number;
}

export interface DeviceLoadResult {
  readonly sent: number;
  readonly acknowledged: number;
  readonly failed: number;
}

/** Runs simulated devices in a process of their own (device-load.ts), so they do not share the server's loop. */
export function runDeviceLoad(load: DeviceLoad): Promise<DeviceLoadResult> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'device-load.ts')],
    {
      env: { ...process.env, BENCH_LOAD: JSON.stringify(load) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the load generator exited with ${String(code)}`));
      else resolve(JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as DeviceLoadResult);
    });
  });
}
