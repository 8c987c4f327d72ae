/**
 * Chromium permission requests (camera, geolocation, notifications, clipboard, HID, ...). The console needs
 * none of them: OS notifications go through the main process. Everything is denied unless listed here.
 */
const grantedPermissions: ReadonlySet<string> = new Set<string>([]);

export function isPermissionGranted(permission: string): boolean {
  return grantedPermissions.has(permission);
}
