import type { Incident } from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';

export interface OpenIncident {
  readonly title: string;
  readonly description: string | null;
  readonly priority: Incident['priority'];
  readonly alertIds: readonly string[];
  /** The asset it is about (an isolation plan's pipe). */
  readonly assetId?: string | null;
}

export interface IncidentChange {
  readonly status?: 'open' | 'in_progress' | 'resolved';
  readonly assigneeId?: string | null;
  readonly priority?: Incident['priority'];
  readonly addAlertIds?: readonly string[];
}

export interface MaintenanceLogEntry {
  readonly workDone: string;
  readonly partsUsed: string | null;
  readonly startedAt: string;
  readonly finishedAt: string;
}

const incidentPath = (id: string, tail = '') => `/incidents/${encodeURIComponent(id)}${tail}`;

/** The incident routes, each answering with the incident as it now is. */
export const incidentActions = {
  open: (body: OpenIncident): Promise<Incident> =>
    apiRequest<Incident>('/incidents', { method: 'POST', body }),

  change: (id: string, body: IncidentChange): Promise<Incident> =>
    apiRequest<Incident>(incidentPath(id), { method: 'PATCH', body }),

  addNote: (id: string, body: string): Promise<Incident> =>
    apiRequest<Incident>(incidentPath(id, '/notes'), { method: 'POST', body: { body } }),

  close: (id: string, maintenanceLog: MaintenanceLogEntry): Promise<Incident> =>
    apiRequest<Incident>(incidentPath(id, '/close'), { method: 'POST', body: { maintenanceLog } }),
};
