import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface SourceFile {
  /** Path relative to the scanned root, with forward slashes. */
  readonly name: string;
  readonly text: string;
}

/** Every `.ts`, `.tsx` and `.html` file under `root`, tests and test helpers left out. */
export async function readSources(root: string): Promise<SourceFile[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = entries.filter(
    (entry) =>
      entry.isFile() &&
      /\.(ts|tsx|html)$/.test(entry.name) &&
      !/\.test\.tsx?$/.test(entry.name) &&
      !entry.parentPath.split(path.sep).includes('test-support'),
  );
  return Promise.all(
    files.map(async (entry) => {
      const full = path.join(entry.parentPath, entry.name);
      return {
        name: path.relative(root, full).split(path.sep).join('/'),
        text: await readFile(full, 'utf8'),
      };
    }),
  );
}

export interface RiskyPattern {
  readonly id: string;
  readonly pattern: RegExp;
  readonly why: string;
}

/** What Electronegativity and the renderer's own rules look for in source: settings and APIs that open holes. */
export const RISKY_PATTERNS: readonly RiskyPattern[] = [
  {
    id: 'node-integration',
    pattern: /nodeIntegration(InWorker|InSubFrames)?\s*:\s*true/,
    why: 'gives web content Node',
  },
  {
    id: 'context-isolation-off',
    pattern: /contextIsolation\s*:\s*false/,
    why: 'lets pages reach the preload',
  },
  { id: 'sandbox-off', pattern: /sandbox\s*:\s*false/, why: 'renderer outside the Chromium sandbox' },
  { id: 'web-security-off', pattern: /webSecurity\s*:\s*false/, why: 'turns off the same-origin policy' },
  {
    id: 'insecure-content',
    pattern: /allowRunningInsecureContent\s*:\s*true/,
    why: 'HTTP content in HTTPS pages',
  },
  {
    id: 'experimental-features',
    pattern: /experimentalFeatures\s*:\s*true/,
    why: 'untested Chromium features',
  },
  { id: 'blink-features', pattern: /enableBlinkFeatures/, why: 'switches on Blink features' },
  {
    id: 'remote-module',
    pattern: /enableRemoteModule|@electron\/remote|require\(['"]electron['"]\)\.remote/,
    why: 'the remote module',
  },
  { id: 'webview', pattern: /webviewTag\s*:\s*true|<webview/, why: 'webviews' },
  { id: 'bypass-csp', pattern: /bypassCSP\s*:\s*true/, why: 'a scheme that ignores the CSP' },
  { id: 'eval', pattern: /(^|[^\w.])eval\s*\(|new Function\s*\(/, why: 'code from strings' },
  {
    id: 'html-injection',
    pattern:
      /insertAdjacentHTML|dangerouslySetInnerHTML|\.innerHTML\s*=|\.outerHTML\s*=|document\.write\s*\(/,
    why: 'HTML from strings',
  },
  { id: 'execute-javascript', pattern: /executeJavaScript\s*\(/, why: 'main injecting code into pages' },
  {
    id: 'raw-ipc-exposed',
    pattern: /exposeInMainWorld\([^)]*ipcRenderer\s*[,)]/,
    why: 'hands pages the raw IPC',
  },
  {
    id: 'certificate-errors',
    pattern: /certificate-error|setCertificateVerifyProc|ignore-certificate-errors/,
    why: 'accepts bad certificates',
  },
];

export interface ScanHit {
  readonly file: string;
  readonly line: number;
  readonly id: string;
  readonly text: string;
}

export function scan(
  files: readonly SourceFile[],
  patterns: readonly RiskyPattern[] = RISKY_PATTERNS,
): ScanHit[] {
  const hits: ScanHit[] = [];
  for (const file of files) {
    file.text.split('\n').forEach((line, index) => {
      for (const risky of patterns) {
        if (risky.pattern.test(line))
          hits.push({ file: file.name, line: index + 1, id: risky.id, text: line.trim().slice(0, 120) });
      }
    });
  }
  return hits;
}
