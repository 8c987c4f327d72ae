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
