import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_ORIGIN, resolveAppAsset } from '../src/main/app-origin.ts';
import { decideWindowOpen, isAppNavigation } from '../src/main/navigation-policy.ts';
import { isPermissionGranted } from '../src/main/permission-policy.ts';

describe('navigation policy', () => {
  const origins = [APP_ORIGIN];

  it('lets the console move within its own origin', () => {
    expect(isAppNavigation(`${APP_ORIGIN}/index.html?view=alerts`, origins)).toBe(true);
    expect(isAppNavigation(`${APP_ORIGIN}/`, origins)).toBe(true);
  });

  it('refuses another origin, scheme, host or port', () => {
    for (const url of [
      'https://evil.example/',
      'http://console/',
      'tidewatch://other/index.html',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:text/html,<script>1</script>',
      'not a url',
      '',
    ]) {
      expect(isAppNavigation(url, origins), url).toBe(false);
    }
    const dev = ['http://localhost:5173'];
    expect(isAppNavigation('http://localhost:5173/?view=map', dev)).toBe(true);
    expect(isAppNavigation('http://localhost:5174/', dev)).toBe(false);
  });

  it('turns window.open of an app view into a pop-out and denies everything else', () => {
    expect(decideWindowOpen(`${APP_ORIGIN}/index.html?view=alerts`, origins)).toEqual({
      action: 'popout',
      view: 'alerts',
    });
    expect(decideWindowOpen('https://phish.example/login', origins)).toEqual({ action: 'deny' });
  });

  it('denies every Chromium permission request', () => {
    for (const permission of [
      'media',
      'geolocation',
      'notifications',
      'clipboard-read',
      'openExternal',
      'hid',
    ]) {
      expect(isPermissionGranted(permission)).toBe(false);
    }
  });
});

describe('resolveAppAsset', () => {
  const root = path.resolve('/opt/tidewatch/renderer');

  it('serves index.html for the root and files inside the build', () => {
    expect(resolveAppAsset(root, `${APP_ORIGIN}/`)).toEqual({
      filePath: path.join(root, 'index.html'),
      contentType: 'text/html; charset=utf-8',
      isDocument: true,
    });
    expect(resolveAppAsset(root, `${APP_ORIGIN}/assets/index-abc.js?x=1`)?.filePath).toBe(
      path.join(root, 'assets/index-abc.js'),
    );
  });

  it('refuses paths that climb out of the build, other hosts and unknown types', () => {
    for (const climb of [
      '/../../etc/passwd.js',
      '/%2e%2e/%2e%2e/etc/shadow.js',
      '/assets/%2E%2E/%2E%2E/x.css',
    ]) {
      const asset = resolveAppAsset(root, `${APP_ORIGIN}${climb}`);
      expect(asset === null || asset.filePath.startsWith(root + path.sep), climb).toBe(true);
    }
    expect(resolveAppAsset(root, `${APP_ORIGIN}/assets/..%5c..%5csecret.js`)).toBeNull();
    expect(resolveAppAsset(root, 'tidewatch://elsewhere/index.html')).toBeNull();
    expect(resolveAppAsset(root, `${APP_ORIGIN}/settings.exe`)).toBeNull();
    expect(resolveAppAsset(root, `${APP_ORIGIN}/%E0%A4%A`)).toBeNull();
  });
});
