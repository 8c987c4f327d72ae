import { create } from 'zustand';
import type { Session } from './session.ts';
import { loadSession, saveSession } from './session-storage.ts';

interface SessionState {
  readonly session: Session | null;
  /** Why the operator was signed out without asking (expired, revoked), shown on the login screen. */
  readonly signedOutReason: string | null;
  signedIn: (session: Session) => void;
  /** New tokens for the same operator, from this window or another. */
  tokensChanged: (session: Session) => void;
  signedOut: (reason?: string) => void;
  chooseTenant: (tenantId: string) => void;
}

export const useSessionStore = create<SessionState>()((set, get) => ({
  session: loadSession(),
  signedOutReason: null,
  signedIn: (session) => {
    saveSession(session);
    set({ session, signedOutReason: null });
  },
  tokensChanged: (session) => {
    saveSession(session);
    set({ session });
  },
  signedOut: (reason) => {
    saveSession(null);
    set({ session: null, signedOutReason: reason ?? null });
  },
  chooseTenant: (tenantId) => {
    const session = get().session;
    if (!session) return;
    const next = { ...session, tenantId };
    saveSession(next);
    set({ session: next });
  },
}));

export const selectUser = (state: SessionState) => state.session?.user ?? null;
