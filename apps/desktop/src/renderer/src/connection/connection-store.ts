import { create } from 'zustand';
import {
  initialConnection,
  nextConnection,
  type ConnectionEvent,
  type ConnectionState,
} from './connection-state.ts';

interface ConnectionStore extends ConnectionState {
  report: (event: ConnectionEvent) => void;
}

export const useConnectionStore = create<ConnectionStore>()((set, get) => ({
  ...initialConnection,
  report: (event) => {
    const current = get();
    const next = nextConnection(current, event, Date.now());
    // Most reports change nothing (a success while online): no new state, no re-render.
    if (next.status !== current.status || next.failingSince !== current.failingSince) set(next);
  },
}));

export const reportConnection = (event: ConnectionEvent): void => {
  useConnectionStore.getState().report(event);
};
