import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { DataType, MessageSecurityMode, SecurityPolicy, StatusCodes, Variant } from 'node-opcua-client';
import { InMemoryCertificateStore } from 'node-opcua-common';
import { OPCUAServer } from 'node-opcua-server';

type ServerOptions = NonNullable<ConstructorParameters<typeof OPCUAServer>[0]>;
import { derToPem } from '../modules/opcua/certificate-details.ts';
import { makeApplicationCertificate } from '../modules/opcua/client-identity.ts';

/** A plant server's identity, kept across restarts so the client meets the same certificate again. */
export interface PeerIdentity {
  readonly applicationUri: string;
  readonly certificate: Buffer;
  readonly privateKeyPem: string;
  readonly certificatePem: string;
  readonly certificateFile: string;
  readonly privateKeyFile: string;
}

export async function makePeerIdentity(): Promise<PeerIdentity> {
  const applicationUri = 'urn:tidewatch-test:plc-7';
  const { der: certificate, keyPem: privPem } = await makeApplicationCertificate({
    subject: '/CN=PLC 7/O=Test Water Works',
    applicationUri,
    dns: ['localhost'],
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 30 * 86_400_000),
  });
  const folder = await mkdtemp(path.join(tmpdir(), 'tidewatch-opcua-peer-'));
  const certificateFile = path.join(folder, 'cert.pem');
  const privateKeyFile = path.join(folder, 'key.pem');
  await writeFile(certificateFile, derToPem(certificate));
  await writeFile(privateKeyFile, privPem, { mode: 0o600 });
  return {
    applicationUri,
    certificate,
    privateKeyPem: privPem,
    certificatePem: derToPem(certificate),
    certificateFile,
    privateKeyFile,
  };
}

/** The variables a test drives: a tank level (read-only to clients) and a pump speed set point (writable). */
interface PeerVariable {
  readValue(): { value: { value: unknown } };
}

export interface PeerNodes {
  readonly level: PeerVariable;
  readonly speed: PeerVariable;
}

export interface RunningPeer {
  readonly server: OPCUAServer;
  readonly nodes: PeerNodes;
  readonly endpointUrl: string;
  /** Sets the level as the PLC would, with its own source time. */
  setLevel(value: number, sourceTime: Date): void;
  stop(): Promise<void>;
}

export const LEVEL_NODE = 'ns=1;s=Tank1.Level';
export const SPEED_NODE = 'ns=1;s=Tank1.PumpSpeed';

/**
 * A real OPC UA server (node-opcua's OPCUAServer) on `port`, offering None and Basic256Sha256 SignAndEncrypt,
 * accepting any client certificate. `initialLevel` is what it holds at start, as a PLC keeps its last value.
 */
export async function startPeer(
  port: number,
  identity: PeerIdentity,
  initialLevel: { value: number; sourceTime: Date },
): Promise<RunningPeer> {
  const options = {
    port,
    resourcePath: '/plc',
    hostname: '127.0.0.1',
    alternateHostname: ['127.0.0.1'],
    serverInfo: { applicationUri: identity.applicationUri, productUri: 'tidewatch-test' },
    securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
    securityModes: [MessageSecurityMode.None, MessageSecurityMode.SignAndEncrypt],
    allowAnonymous: true,
    disableDiscovery: true,
    // Files: the server's endpoints read the key by file name even when an in-memory provider is given.
    certificateFile: identity.certificateFile,
    privateKeyFile: identity.privateKeyFile,
  };
  // The base server takes any certificate store; OPCUAServer's options still name the disk one only.
  const store: unknown = new InMemoryCertificateStore({ autoAcceptUnknown: true });
  const server = new OPCUAServer({
    ...options,
    serverCertificateManager: store as NonNullable<ServerOptions['serverCertificateManager']>,
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('no address space');
  const namespace = addressSpace.getOwnNamespace();
  const tank = namespace.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Tank1' });
  const level = namespace.addVariable({
    componentOf: tank,
    nodeId: 's=Tank1.Level',
    browseName: 'Level',
    dataType: 'Double',
    accessLevel: 'CurrentRead',
    userAccessLevel: 'CurrentRead',
    minimumSamplingInterval: 50,
  });
  const speed = namespace.addVariable({
    componentOf: tank,
    nodeId: 's=Tank1.PumpSpeed',
    browseName: 'PumpSpeed',
    dataType: 'Double',
    accessLevel: 'CurrentRead | CurrentWrite',
    userAccessLevel: 'CurrentRead | CurrentWrite',
    minimumSamplingInterval: 50,
  });
  speed.setValueFromSource(
    new Variant({ dataType: DataType.Double, value: 0 }),
    StatusCodes.Good,
    new Date(),
  );
  const setLevel = (value: number, sourceTime: Date) => {
    level.setValueFromSource(new Variant({ dataType: DataType.Double, value }), StatusCodes.Good, sourceTime);
  };
  setLevel(initialLevel.value, initialLevel.sourceTime);
  await server.start();
  return {
    server,
    nodes: { level, speed },
    endpointUrl: `opc.tcp://127.0.0.1:${String(port)}/plc`,
    setLevel,
    async stop() {
      await server.shutdown(0);
    },
  };
}
