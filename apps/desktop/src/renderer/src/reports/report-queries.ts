import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { HandoverReport, StoredReport } from '@tidewatch/shared';
import { apiFile, apiRequest } from '../api/api-client.ts';
import { saveFile } from '../trends/trend-queries.ts';

const reportsKey = (tenantId: string) => ['reports', tenantId] as const;

/** The handover as it stands now, refreshed while the screen is open. */
export function useHandoverNow(tenantId: string, hours: number) {
  return useQuery({
    queryKey: ['reports', 'handover', tenantId, hours],
    queryFn: ({ signal }) => apiRequest<HandoverReport>('/reports/handover', { query: { hours }, signal }),
    refetchInterval: 30_000,
  });
}

export function useKeptReports(tenantId: string) {
  return useQuery({
    queryKey: reportsKey(tenantId),
    queryFn: ({ signal }) => apiRequest<StoredReport[]>('/reports', { signal }),
    refetchInterval: 60_000,
  });
}

/** The outgoing operator hands over: the report is kept, with its PDF. */
export function useHandOver(tenantId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { hours: number; notes: string | null }) =>
      apiRequest<StoredReport>('/reports/handover', { method: 'POST', body, userActivity: true }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: reportsKey(tenantId) }),
  });
}

/** The incoming operator takes the shift over. */
export function useTakeOver(tenantId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      apiRequest<StoredReport>(`/reports/${id}/acknowledge`, {
        method: 'POST',
        body: {},
        userActivity: true,
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: reportsKey(tenantId) }),
  });
}

/** Saves a report file the server makes: `/reports/handover.pdf`, `/reports/{id}/csv`... */
export async function downloadReport(
  path: string,
  name: string,
  query?: Record<string, string | number | undefined>,
) {
  saveFile(await apiFile(path, query ? { query } : {}), name);
}
