/** The parts of the server's OpenAPI 3.1 document the fuzzer reads. */
export type JsonSchema = Readonly<Record<string, unknown>>;

export interface OpenApiDocument {
  readonly paths: Readonly<Record<string, Readonly<Record<string, OpenApiOperation>>>>;
  readonly components: { readonly schemas: Readonly<Record<string, JsonSchema>> };
}

interface OpenApiOperation {
  readonly parameters?: readonly {
    readonly name: string;
    readonly in: string;
    readonly required?: boolean;
    readonly schema: JsonSchema;
  }[];
  readonly requestBody?: { readonly content: Readonly<Record<string, { readonly schema: JsonSchema }>> };
  readonly responses: Readonly<Record<string, unknown>>;
  readonly security?: readonly unknown[];
}

/** One operation as the fuzzer needs it: where, what it takes, and which statuses it documents. */
export interface Operation {
  readonly method: string;
  /** Express form, as the route registry names it: `/zones/:id`. */
  readonly routePath: string;
  readonly pathParams: readonly string[];
  readonly query: readonly {
    readonly name: string;
    readonly required: boolean;
    readonly schema: JsonSchema;
  }[];
  readonly body: JsonSchema | null;
  readonly documentedStatuses: ReadonlySet<number>;
}

const API_PREFIX = '/api/v1';

export function operationsOf(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const parameters = operation.parameters ?? [];
      operations.push({
        method,
        routePath: path.slice(API_PREFIX.length).replace(/\{([A-Za-z]+)\}/g, ':$1'),
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, required: p.required ?? false, schema: p.schema })),
        body: operation.requestBody?.content['application/json']?.schema ?? null,
        documentedStatuses: new Set(Object.keys(operation.responses).map(Number)),
      });
    }
  }
  return operations;
}

/** Follows `$ref`s into the document's components. */
export function resolveSchema(document: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let current = schema;
  for (let hops = 0; hops < 20; hops += 1) {
    const ref = current.$ref;
    if (typeof ref !== 'string') return current;
    const name = ref.replace('#/components/schemas/', '');
    const target = document.components.schemas[name];
    if (!target) throw new Error(`unresolved reference ${ref}`);
    current = target;
  }
  throw new Error('reference chain too long');
}
