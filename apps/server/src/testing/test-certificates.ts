import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** A certificate authority of a test's own, made with `openssl`, and the certificates it signs. */
export interface TestCertificates {
  readonly dir: string;
  /** The CA's certificate: what clients trust, or what a listener checks client certificates against. */
  readonly caFile: string;
  /** A server certificate for localhost, 127.0.0.1 and ::1, and any further `hosts` (names or IP addresses). */
  server(name: string, hosts?: readonly string[]): Promise<CertificateFiles>;
  /** A client certificate whose subject CN is `commonName` (a device id, or the server's broker account). */
  client(commonName: string): Promise<CertificateFiles>;
  remove(): Promise<void>;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes a CA (P-256, valid two days) in a temporary folder. */
export async function createTestCertificates(caName = 'Tidewatch test CA'): Promise<TestCertificates> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tidewatch-certs-'));
  const caFile = path.join(dir, 'ca.crt');
  const caKey = path.join(dir, 'ca.key');
  await run('openssl', [
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    caKey,
    '-out',
    caFile,
    '-days',
    '2',
    '-subj',
    `/CN=${caName}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const issue = async (name: string, commonName: string, extensions: string[]): Promise<CertificateFiles> => {
    const base = path.join(dir, `${name}-${randomBytes(4).toString('hex')}`);
    const files = { certFile: `${base}.crt`, keyFile: `${base}.key` };
    await writeFile(`${base}.ext`, `${['basicConstraints=CA:FALSE', ...extensions].join('\n')}\n`);
    await run('openssl', [
      'req',
      '-new',
      ...EC_KEY,
      '-keyout',
      files.keyFile,
      '-out',
      `${base}.csr`,
      '-subj',
      `/CN=${commonName}`,
    ]);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      `${base}.csr`,
      '-CA',
      caFile,
      '-CAkey',
      caKey,
      '-days',
      '2',
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-extfile',
      `${base}.ext`,
      '-out',
      files.certFile,
    ]);
    return files;
  };
  return {
    dir,
    caFile,
    server: (name, hosts = []) => {
      const names = ['localhost', '127.0.0.1', '::1', ...hosts].map((host) =>
        /^[\d.]+$|:/.test(host) ? `IP:${host}` : `DNS:${host}`,
      );
      return issue(name, name, [`subjectAltName=${names.join(',')}`, 'extendedKeyUsage=serverAuth']);
    },
    client: (commonName) => issue('client', commonName, ['extendedKeyUsage=clientAuth']),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
