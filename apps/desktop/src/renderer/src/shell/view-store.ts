import { create } from 'zustand';

/** The screens of the console's main window (the account page opens from the user's name in the header). */
export const consoleViews = [
  'alerts',
  'incidents',
  'handover',
  'dmas',
  'alarm-management',
  'account',
] as const;
export type ConsoleView = (typeof consoleViews)[number];

interface ViewState {
  readonly view: ConsoleView;
  /** The incident open in the incidents screen. */
  readonly incidentId: string | null;
  show: (view: ConsoleView) => void;
  openIncident: (id: string | null) => void;
}

export const useViewStore = create<ViewState>()((set) => ({
  view: 'alerts',
  incidentId: null,
  show: (view) => {
    set({ view });
  },
  openIncident: (incidentId) => {
    set({ view: 'incidents', incidentId });
  },
}));
