/**
 * Where the console's windows may go. The app's own origin (and the Vite dev server in development) only:
 * a link to anywhere else, a redirect, or a `window.open` of a foreign page is refused, so a compromised or
 * confused page cannot turn a control-room window into a browser.
 */
export function isAppNavigation(targetUrl: string, appOrigins: readonly string[]): boolean {
  let target: URL;
  try {
    target = new URL(targetUrl);
  } catch {
    return false;
  }
  // Custom schemes have the opaque origin "null" in WHATWG URL; compare scheme and host instead.
  const targetOrigin = `${target.protocol}//${target.host}`;
  return appOrigins.some((origin) => {
    const allowed = new URL(origin);
    return targetOrigin === `${allowed.protocol}//${allowed.host}`;
  });
}

export type WindowOpenDecision = { action: 'deny' } | { action: 'popout'; view: string | null };

/**
 * `window.open` never creates a window itself: an app URL becomes a pop-out the main process builds with
 * the secure preferences and remembered bounds, and everything else is denied.
 */
export function decideWindowOpen(targetUrl: string, appOrigins: readonly string[]): WindowOpenDecision {
  if (!isAppNavigation(targetUrl, appOrigins)) return { action: 'deny' };
  return { action: 'popout', view: new URL(targetUrl).searchParams.get('view') };
}
