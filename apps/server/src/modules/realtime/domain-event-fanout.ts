import type { EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../logger.ts';
import type { DevicePlaces } from './device-places.ts';
import type { RealtimeMetrics } from './realtime-metrics.ts';
import type { RoomBroadcast } from './realtime-types.ts';
import { roomBroadcast } from './broadcast-queue.ts';
import { audienceRooms, tenantRoom } from './rooms.ts';

/**
 * Sends what happens in the server to the rooms allowed to see it. `broadcast` reaches the rooms on every
 * instance (relayed through Redis when there are several), so each change is sent once, by the instance where it
 * happened.
 * Returns a function that stops listening.
 */
export function fanOutDomainEvents(
  broadcast: (message: RoomBroadcast) => void,
  bus: EventBus,
  places: DevicePlaces,
  metrics: RealtimeMetrics,
  log: Logger,
): () => void {
  const stops = [
    bus.on('alert.changed', ({ tenantId, zoneId, sequence, alert }) => {
      broadcast(roomBroadcast(audienceRooms(tenantId, zoneId), 'alert', { sequence, alert }));
      metrics.broadcasts.inc({ event: 'alert' });
    }),
    bus.on('alert.flood', ({ tenantId, active, count, at }) => {
      broadcast(
        roomBroadcast([tenantRoom(tenantId)], 'flood', { active, count, at: new Date(at).toISOString() }),
      );
      metrics.broadcasts.inc({ event: 'flood' });
    }),
    bus.on('incident.changed', ({ tenantId, incident }) => {
      broadcast(roomBroadcast(audienceRooms(tenantId, incident.zoneId), 'incident', { incident }));
      metrics.broadcasts.inc({ event: 'incident' });
    }),
    bus.on('maintenance.due', ({ tenantId, zoneId, plan }) => {
      broadcast(roomBroadcast(audienceRooms(tenantId, zoneId), 'maintenance:due', { plan }));
      metrics.broadcasts.inc({ event: 'maintenance:due' });
    }),
    bus.on('device.connectivity', ({ tenantId, deviceId, connectivity, at }) => {
      places.lookup(tenantId, deviceId).then(
        (place) => {
          if (!place) return;
          broadcast(
            roomBroadcast(audienceRooms(tenantId, place.zoneId), 'device:status', {
              deviceId,
              assetId: place.assetId,
              zoneId: place.zoneId,
              connectivity,
              at: new Date(at).toISOString(),
            }),
          );
          metrics.broadcasts.inc({ event: 'device:status' });
        },
        (error: unknown) => {
          log.warn({ err: error, deviceId }, 'device status not sent: its zone could not be read');
        },
      );
    }),
  ];
  return () => {
    for (const stop of stops) stop();
  };
}
