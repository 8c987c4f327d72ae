import type { RequestContext } from './request-context.ts';

/** The zones a user is limited to, or null when they see the whole tenant. */
export function zoneLimit(ctx: RequestContext): readonly string[] | null {
  const zones = ctx.principal?.zoneIds ?? [];
  return zones.length === 0 ? null : zones;
}

/** A Prisma filter on a zone column for zone-limited users; rows without a zone are hidden from them. */
export function zoneFilter(ctx: RequestContext): { zoneId?: { in: string[] } } {
  const zones = zoneLimit(ctx);
  return zones ? { zoneId: { in: [...zones] } } : {};
}

export function inZoneLimit(ctx: RequestContext, zoneId: string | null): boolean {
  const zones = zoneLimit(ctx);
  return zones === null || (zoneId !== null && zones.includes(zoneId));
}
