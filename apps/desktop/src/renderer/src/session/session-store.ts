import { create } from 'zustand';
import type { Me } from '@tidewatch/shared';
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
  /** The operator's role or zones changed on the server (the socket said so). */
  userChanged: (user: Me) => void;
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
  userChanged: (user) => {
    const session = get().session;
    if (!session || session.user.id !== user.id) return;
    const next = { ...session, user };
    saveSession(next);
    set({ session: next });
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
