/**
 * Room names. Every socket joins its tenant's room; a socket that sees the whole tenant joins the tenant's
 * "all" room, a zone-limited one joins one room per zone. Something that belongs to a zone goes to the "all" room
 * and that zone's room; something without a zone only to the "all" room (zone-limited users do not see it, as in
 * REST).
 */
export const tenantRoom = (tenantId: string): string => `tenant:${tenantId}`;
const wholeTenantRoom = (tenantId: string): string => `tenant:${tenantId}:all`;
const zoneRoom = (tenantId: string, zoneId: string): string => `tenant:${tenantId}:zone:${zoneId}`;

/** The rooms a socket of this scope joins. */
export function scopeRooms(tenantId: string, zones: readonly string[] | null): string[] {
  return [
    tenantRoom(tenantId),
    ...(zones === null ? [wholeTenantRoom(tenantId)] : zones.map((zone) => zoneRoom(tenantId, zone))),
  ];
}

/** The rooms allowed to see something of `zoneId` (null: not in any zone). */
export function audienceRooms(tenantId: string, zoneId: string | null): string[] {
  return zoneId === null
    ? [wholeTenantRoom(tenantId)]
    : [wholeTenantRoom(tenantId), zoneRoom(tenantId, zoneId)];
}
