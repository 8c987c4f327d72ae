import { useQuery } from '@tanstack/react-query';
import type {
  AlertRule,
  AlertRulePreview,
  createAlertRuleSchema,
  Metric,
  Page,
  updateAlertRuleSchema,
} from '@tidewatch/shared';
import type { z } from 'zod';
import { apiRequest } from '../api/api-client.ts';

/** A rule as the editor sends it to be created or previewed (defaults filled in by the server). */
export type RuleInput = z.input<typeof createAlertRuleSchema>;
export type RuleChange = z.input<typeof updateAlertRuleSchema>;

export const alertRulesKey = (tenantId: string) => ['alarm', 'rules', tenantId] as const;

/** The tenant's alert rules, up to 500 (one page): more than one utility tunes by hand. */
export function useAlertRules(tenantId: string) {
  return useQuery({
    queryKey: alertRulesKey(tenantId),
    queryFn: async ({ signal }) =>
      (await apiRequest<Page<AlertRule>>('/alert-rules', { query: { limit: 500 }, signal })).items,
  });
}

/** Rules taken out of use that raised alerts: kept for that history, read-only. */
export function useArchivedAlertRules(tenantId: string, enabled: boolean) {
  return useQuery({
    queryKey: [...alertRulesKey(tenantId), 'archived'],
    enabled,
    queryFn: async ({ signal }) =>
      (
        await apiRequest<Page<AlertRule>>('/alert-rules', {
          query: { limit: 500, archived: 'true' },
          signal,
        })
      ).items,
  });
}

/**
 * Takes a rule out of use: the server deletes one that never raised an alert and archives one that did (it stops
 * evaluating, its open alerts close, its history stays).
 */
export function archiveAlertRule(ruleId: string): Promise<null> {
  return apiRequest<null>(`/alert-rules/${encodeURIComponent(ruleId)}`, { method: 'DELETE' });
}

/** The tenant's metrics, for rules that watch one metric on an asset or a kind of asset. */
export function useMetrics(tenantId: string) {
  return useQuery({
    queryKey: ['metrics', tenantId],
    staleTime: 5 * 60_000,
    queryFn: async ({ signal }) =>
      (await apiRequest<Page<Metric>>('/metrics', { query: { limit: 500 }, signal })).items,
  });
}

export function createAlertRule(rule: RuleInput): Promise<AlertRule> {
  return apiRequest<AlertRule>('/alert-rules', { method: 'POST', body: rule });
}

export function updateAlertRule(ruleId: string, change: RuleChange): Promise<AlertRule> {
  return apiRequest<AlertRule>(`/alert-rules/${encodeURIComponent(ruleId)}`, {
    method: 'PATCH',
    body: change,
  });
}

/** How often the rule would have raised on its targets' stored readings of the last days; nothing is saved. */
export function previewAlertRule(rule: RuleInput): Promise<AlertRulePreview> {
  return apiRequest<AlertRulePreview>('/alert-rules/preview', { method: 'POST', body: rule });
}
