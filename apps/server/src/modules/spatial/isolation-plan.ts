import { supplySourceKinds } from '@tidewatch/shared';

export interface NetworkNode {
  readonly id: string;
  readonly kind: string;
}

export interface NetworkPipe {
  readonly id: string;
  readonly fromId: string | null;
  readonly toId: string | null;
}

export interface IsolationOutcome {
  /** Valves on the section's border: closing them shuts the pipe in. */
  readonly valveIds: readonly string[];
  /** Supply sources inside the section: no valve stands between them and the pipe. */
  readonly unvalvedSourceIds: readonly string[];
  readonly sectionPipeIds: readonly string[];
  /** Non-valve assets inside the section, sources included. */
  readonly sectionNodeIds: readonly string[];
  readonly lostPipeIds: readonly string[];
  readonly lostNodeIds: readonly string[];
}

const SOURCE_KINDS: ReadonlySet<string> = new Set(supplySourceKinds);

/**
 * The isolation of one pipe on the network graph (point assets as nodes, pipes as two-way edges): the section
 * reached from the pipe without passing a valve, the valves bounding it, and what was supplied from a source
 * before those valves close and is not after. The pipe must be one of `pipes`.
 */
export function planIsolation(
  pipeId: string,
  nodes: readonly NetworkNode[],
  pipes: readonly NetworkPipe[],
): IsolationOutcome {
  const kindOf = new Map(nodes.map((node) => [node.id, node.kind]));
  const pipesAt = new Map<string, NetworkPipe[]>();
  for (const pipe of pipes) {
    for (const end of ends(pipe)) {
      const list = pipesAt.get(end) ?? [];
      list.push(pipe);
      pipesAt.set(end, list);
    }
  }

  const sectionPipes = new Set<string>([pipeId]);
  const sectionNodes = new Set<string>();
  const valves = new Set<string>();
  const start = pipes.find((pipe) => pipe.id === pipeId);
  const queue: NetworkPipe[] = start ? [start] : [];
  for (let pipe = queue.pop(); pipe; pipe = queue.pop()) {
    for (const end of ends(pipe)) {
      if (kindOf.get(end) === 'valve') {
        valves.add(end);
        continue;
      }
      if (sectionNodes.has(end)) continue;
      sectionNodes.add(end);
      for (const next of pipesAt.get(end) ?? []) {
        if (sectionPipes.has(next.id)) continue;
        sectionPipes.add(next.id);
        queue.push(next);
      }
    }
  }

  const sources = nodes.filter((node) => SOURCE_KINDS.has(node.kind)).map((node) => node.id);
  const before = reachable(sources, pipesAt, new Set(), new Set());
  const closed = new Set([...valves, ...sectionNodes]);
  const after = reachable(
    sources.filter((id) => !closed.has(id)),
    pipesAt,
    closed,
    sectionPipes,
  );
  const fed = (pipe: NetworkPipe, supplied: ReadonlySet<string>): boolean =>
    ends(pipe).some((end) => supplied.has(end));

  return {
    valveIds: [...valves],
    unvalvedSourceIds: [...sectionNodes].filter((id) => SOURCE_KINDS.has(kindOf.get(id) ?? '')),
    sectionPipeIds: [...sectionPipes],
    sectionNodeIds: [...sectionNodes],
    lostPipeIds: pipes
      .filter((pipe) => !sectionPipes.has(pipe.id) && fed(pipe, before) && !fed(pipe, after))
      .map((pipe) => pipe.id),
    lostNodeIds: [...before].filter((id) => !closed.has(id) && !after.has(id)),
  };
}

function ends(pipe: NetworkPipe): string[] {
  return [pipe.fromId, pipe.toId].filter((end): end is string => end !== null);
}

/** Nodes reached from the sources without entering a blocked node or crossing a blocked pipe. */
function reachable(
  sources: readonly string[],
  pipesAt: ReadonlyMap<string, readonly NetworkPipe[]>,
  blockedNodes: ReadonlySet<string>,
  blockedPipes: ReadonlySet<string>,
): Set<string> {
  const seen = new Set(sources);
  const stack = [...sources];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    for (const pipe of pipesAt.get(node) ?? []) {
      if (blockedPipes.has(pipe.id)) continue;
      for (const end of ends(pipe)) {
        if (seen.has(end) || blockedNodes.has(end)) continue;
        seen.add(end);
        stack.push(end);
      }
    }
  }
  return seen;
}
