import type { Session, WebContents } from 'electron';
import { decideWindowOpen, isAppNavigation } from './navigation-policy.ts';
import { isPermissionGranted } from './permission-policy.ts';

export interface HardeningOptions {
  readonly appOrigins: () => readonly string[];
  readonly openPopoutView: (view: string | null) => void;
  readonly log: { warn(message: string): void };
}

/** Denies every permission request and check the console does not need. */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_webContents, permission, callback) => {
    callback(isPermissionGranted(permission));
  });
  session.setPermissionCheckHandler((_webContents, permission) => isPermissionGranted(permission));
}

/** Keeps a window on the app: no foreign navigation, redirects, webviews or windows it did not ask main for. */
export function hardenWebContents(contents: WebContents, options: HardeningOptions): void {
  const refuse = (event: { preventDefault(): void }, url: string) => {
    if (isAppNavigation(url, options.appOrigins())) return;
    event.preventDefault();
    options.log.warn(`Refused navigation to ${url}`);
  };
  contents.on('will-navigate', (event) => {
    refuse(event, event.url);
  });
  contents.on('will-redirect', (event) => {
    refuse(event, event.url);
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    const decision = decideWindowOpen(url, options.appOrigins());
    if (decision.action === 'popout') options.openPopoutView(decision.view);
    else options.log.warn(`Refused window.open of ${url}`);
    return { action: 'deny' };
  });
}
