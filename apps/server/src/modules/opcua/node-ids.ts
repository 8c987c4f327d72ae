import { resolveNodeId, type NodeId } from 'node-opcua-client';

/** Parses a NodeId in its string form (`ns=2;s=Tank1.Level`, `i=2258`). @throws Error when it is not one. */
export function parseNodeId(text: string): NodeId {
  return resolveNodeId(text);
}

/** Why `text` is not a NodeId the connector can use, or null. */
export function nodeIdProblem(text: string): string | null {
  try {
    parseNodeId(text);
    return null;
  } catch {
    return 'not a NodeId (such as ns=2;s=Tank1.Level or i=2258)';
  }
}
