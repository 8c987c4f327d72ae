/** One live connection of a device to this instance's embedded broker. */
interface DeviceSession {
  /** The version of the secret it signed in with (when the device's secret was last rotated). */
  readonly credentialRotatedAt: number | null;
  readonly close: () => void;
}

/** Which of a device's sessions to close. */
export type SessionsToClose =
  | { readonly all: true }
  /** Those not signed in with the device's current secret (of this version). */
  | { readonly all: false; readonly credentialRotatedAt: number | null };

/**
 * The devices connected to this instance's embedded broker, so that rotating or disabling a device can end its
 * live connections. HTTP ingest has no sessions: each request signs in again.
 */
export class DeviceSessions {
  private readonly byDevice = new Map<string, Set<DeviceSession>>();

  /** Records a signed-in connection; call the returned function when it closes. */
  track(deviceId: string, credentialRotatedAt: number | null, close: () => void): () => void {
    const session: DeviceSession = { credentialRotatedAt, close };
    let sessions = this.byDevice.get(deviceId);
    if (!sessions) {
      sessions = new Set();
      this.byDevice.set(deviceId, sessions);
    }
    sessions.add(session);
    return () => {
      sessions.delete(session);
      if (sessions.size === 0 && this.byDevice.get(deviceId) === sessions) this.byDevice.delete(deviceId);
    };
  }

  /** Devices with at least one live connection here. */
  devices(): string[] {
    return [...this.byDevice.keys()];
  }

  /** The secret versions the device's live connections signed in with. */
  versions(deviceId: string): (number | null)[] {
    return [...(this.byDevice.get(deviceId) ?? [])].map((session) => session.credentialRotatedAt);
  }

  /** Closes the device's matching connections here; returns how many. */
  close(deviceId: string, which: SessionsToClose): number {
    const sessions = this.byDevice.get(deviceId);
    if (!sessions) return 0;
    let closed = 0;
    for (const session of [...sessions]) {
      if (!which.all && session.credentialRotatedAt === which.credentialRotatedAt) continue;
      sessions.delete(session);
      session.close();
      closed += 1;
    }
    if (sessions.size === 0) this.byDevice.delete(deviceId);
    return closed;
  }

  get size(): number {
    let total = 0;
    for (const sessions of this.byDevice.values()) total += sessions.size;
    return total;
  }
}
