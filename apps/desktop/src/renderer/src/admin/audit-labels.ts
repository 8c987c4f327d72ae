/**
 * Words for the audit log's `resource.verb` actions and resource types, as the server records them. An action
 * this list does not know yet still reads: `water_meter.recalibrate` becomes "Water meter: recalibrate".
 */
export const auditActionLabels: Readonly<Record<string, string>> = {
  'auth.login': 'Sign-in',
  'auth.logout': 'Sign-out',
  'auth.refresh_reuse': 'Reused refresh token (session revoked)',
  'auth.second_factor': 'Two-step verification code',
  'account.password_change': 'Own password changed',
  'account.totp_enrolment_started': 'Two-step verification set-up started',
  'account.totp_enabled': 'Two-step verification turned on',
  'account.totp_disabled': 'Two-step verification turned off',
  'account.recovery_codes_replaced': 'Recovery codes replaced',
  'account.session_end': 'Own session signed out',
  'account.sessions_end': 'Signed out everywhere',
  'audit.read': 'Audit log read',
  'user.create': 'User created',
  'user.update': 'User changed',
  'user.read': 'User viewed',
  'user.list': 'Users listed',
  'user.bootstrap_super_admin': 'Platform admin created at install',
  'user.sessions_end': 'User signed out everywhere by an admin',
  'user.totp_reset': 'Two-step verification removed by an admin',
  'tenant.create': 'Tenant created',
  'tenant.update': 'Tenant changed',
  'tenant.security_settings_update': 'Sign-in security changed',
  'tenant.alarm_settings_update': 'Alarm policy changed',
  'user.phone_set': 'Mobile number for SMS set',
  'escalation.schedule_create': 'On-call schedule created',
  'escalation.override_add': 'On-call override added',
  'escalation.policy_create': 'Escalation policy created',
  'report.handover_create': 'Shift handed over',
  'report.handover_acknowledge': 'Shift taken over',
  'tenant.seed': 'Demo data generated',
  'zone.create': 'Zone created',
  'zone.update': 'Zone changed',
  'zone.delete': 'Zone deleted',
  'zone.archive': 'Zone archived (history names it)',
  'asset.create': 'Asset created',
  'asset.update': 'Asset changed',
  'asset.delete': 'Asset deleted',
  'asset.archive': 'Asset archived (history names it)',
  'asset.export': 'Assets exported (GeoJSON)',
  'device.availability_export': 'Device downtimes exported (CSV)',
  'zone.availability_export': 'Zone availability exported (CSV)',
  'asset.import': 'Assets imported',
  'asset.maintenance_start': 'Asset put in maintenance',
  'asset.maintenance_end': 'Asset back from maintenance',
  'device.provision': 'Device provisioned',
  'device.update': 'Device changed',
  'device.disable': 'Device disabled',
  'device.rotate_secret': 'Device secret rotated',
  'metric.create': 'Metric created',
  'thingspeak.bind': 'ThingSpeak channel bound',
  'thingspeak.unbind': 'ThingSpeak channel unbound',
  'opcua.bind': 'OPC UA endpoint bound',
  'opcua.unbind': 'OPC UA endpoint unbound',
  'opcua.certificate.trust': 'OPC UA server certificate trusted',
  'opcua.certificate.reject': 'OPC UA server certificate refused',
  'opcua.certificate.remove': 'OPC UA server certificate removed',
  'alert_rule.create': 'Alert rule created',
  'alert_rule.update': 'Alert rule changed',
  'alert_rule.delete': 'Alert rule deleted',
  'alert_rule.archive': 'Alert rule archived (it raised alerts)',
  'notification_rule.create': 'Notification rule created',
  'notification_rule.delete': 'Notification rule deleted',
  'incident.open': 'Incident opened',
  'incident.update': 'Incident changed',
  'incident.note': 'Incident note added',
  'incident.close': 'Incident closed',
  'command.send': 'Command sent',
  'command.deliver': 'Command delivered',
  'command.acknowledge': 'Command acknowledged by the device',
  'command.fail': 'Command failed',
  'command.expire': 'Command expired',
  'telemetry.export': 'Readings exported (CSV)',
};

export const auditResourceLabels: Readonly<Record<string, string>> = {
  alert_rule: 'Alert rule',
  asset: 'Asset',
  audit_log: 'Audit log',
  device: 'Device',
  device_command: 'Device command',
  incident: 'Incident',
  metric: 'Metric',
  notification_rule: 'Notification rule',
  series: 'Series',
  session: 'Session',
  tenant: 'Tenant',
  user: 'User',
  zone: 'Zone',
};

const words = (code: string): string => code.replaceAll('_', ' ');
const capitalised = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * @example auditActionLabel('user.create') // 'User created'
 * @example auditActionLabel('water_meter.recalibrate') // 'Water meter: recalibrate'
 */
export function auditActionLabel(action: string): string {
  const known = auditActionLabels[action];
  if (known !== undefined) return known;
  const dot = action.indexOf('.');
  if (dot < 0) return capitalised(words(action));
  return `${capitalised(words(action.slice(0, dot)))}: ${words(action.slice(dot + 1))}`;
}

/** @example auditResourceLabel('alert_rule') // 'Alert rule' */
export function auditResourceLabel(resourceType: string): string {
  return auditResourceLabels[resourceType] ?? capitalised(words(resourceType));
}
