import { withTenantClient } from '@tidewatch/db';
import type pg from 'pg';
import type { EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../logger.ts';
import { toMaintenancePlan } from './maintenance-plan-service.ts';

interface DueRow {
  id: string;
  tenant_id: string;
  asset_id: string;
  zone_id: string | null;
  title: string;
  description: string | null;
  interval_days: number | null;
  due_at: Date;
  remind_before_s: number;
  reminded_for: Date | null;
  completed_at: Date | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * Tells the tenant (the console and the field app, through `maintenance.due`) when planned maintenance comes due:
 * once per due date, at its reminder time. Marking `reminded_for` and reading the plan are one conditional UPDATE,
 * so several instances sweeping at once remind once.
 */
export class MaintenanceReminders {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: pg.Pool,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  start(everyMs: number): void {
    this.timer = setInterval(() => {
      this.running = this.sweep().then(
        () => undefined,
        (error: unknown) => {
          this.log.warn({ err: error }, 'maintenance reminders not sent; trying again at the next interval');
        },
      );
    }, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every enabled tenant; answers how many reminders it sent. */
  async sweep(): Promise<number> {
    const { rows: tenants } = await this.pool.query<{ id: string }>('SELECT alert_engine_tenants() AS id');
    let sent = 0;
    for (const { id: tenantId } of tenants) {
      const due = await withTenantClient(
        this.pool,
        { tenantId, userId: null, role: null },
        async (client) => {
          const { rows } = await client.query<DueRow>(
            `UPDATE maintenance_plans p SET reminded_for = p.due_at
             FROM assets a
            WHERE a.id = p.asset_id AND p.completed_at IS NULL
              AND p.due_at - make_interval(secs => p.remind_before_s) <= now()
              AND p.reminded_for IS DISTINCT FROM p.due_at
          RETURNING p.*, a.zone_id`,
          );
          return rows;
        },
      );
      for (const row of due) {
        const plan = toMaintenancePlan({
          id: row.id,
          tenantId: row.tenant_id,
          assetId: row.asset_id,
          title: row.title,
          description: row.description,
          intervalDays: row.interval_days,
          dueAt: row.due_at,
          remindBeforeS: row.remind_before_s,
          remindedFor: row.reminded_for,
          completedAt: row.completed_at,
          createdBy: row.created_by,
          createdAt: row.created_at,
          updatedAt: row.updated_at,
        });
        this.bus.emit('maintenance.due', { tenantId, zoneId: row.zone_id, plan });
        sent += 1;
      }
    }
    return sent;
  }
}
