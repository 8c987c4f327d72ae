import type { AdminDb } from './admin-db.ts';
import type { ApiClient } from './api-client.ts';

/** The smallest document the server takes as an attachment: it is judged from its first bytes. */
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

/**
 * Gives a tenant one of each field record a route can address, made through the API as `token` (with `headers`,
 * such as a super_admin's X-Tenant-Id): a document on an incident, a maintenance log and a plan on an asset.
 */
export async function createFieldRecords(
  api: ApiClient,
  call: { readonly token: string; readonly headers?: Readonly<Record<string, string>> },
  ids: { readonly incident: string; readonly asset: string },
): Promise<void> {
  const headers = {
    ...call.headers,
    authorization: `Bearer ${call.token}`,
    'content-type': 'application/pdf',
  };
  const uploaded = await api.http.send({
    method: 'POST',
    path: `/api/v1/incidents/${ids.incident}/attachments?fileName=report.pdf`,
    headers,
    body: PDF,
  });
  if (uploaded.status !== 201)
    throw new Error(`attachment not stored: ${String(uploaded.status)} ${uploaded.text}`);
  const now = new Date().toISOString();
  const logged = await api.call('POST', `/api/v1/assets/${ids.asset}/maintenance-logs`, {
    token: call.token,
    headers: call.headers ?? {},
    body: { workDone: 'Sweep fixture', startedAt: now },
  });
  if (logged.status !== 201) throw new Error(`maintenance log not stored: ${logged.text}`);
  const planned = await api.call('POST', `/api/v1/assets/${ids.asset}/maintenance-plans`, {
    token: call.token,
    headers: call.headers ?? {},
    body: { title: 'Sweep fixture', dueAt: new Date(Date.now() + 30 * 86_400_000).toISOString() },
  });
  if (planned.status !== 201) throw new Error(`maintenance plan not stored: ${planned.text}`);
}

/**
 * An incident still open and a live asset of the tenant, where new field records may go; an incident is opened
 * (as `token`) when none is (other suites close them).
 */
export async function openPlaces(
  db: AdminDb,
  tenantId: string,
  api: ApiClient,
  token: string,
): Promise<{ incident: string; asset: string }> {
  const [asset] = await db.query<{ id: string }>(
    'SELECT id FROM assets WHERE tenant_id = $1 AND archived_at IS NULL ORDER BY id LIMIT 1',
    [tenantId],
  );
  if (!asset) throw new Error('the tenant has no live asset');
  const opened = await api.call<{ id: string }>('POST', '/api/v1/incidents', {
    token,
    body: { title: 'Field records fixture', priority: 'low', assetId: asset.id },
  });
  if (opened.status !== 201) throw new Error(`incident not opened: ${opened.text}`);
  return { incident: opened.body.id, asset: asset.id };
}
