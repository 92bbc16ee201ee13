// Arguments for a tool call made without a person: what the schema suggests (default, examples,
// const, enum), else a plain value of the declared type. Only required properties are filled, so
// optional ones keep the server's defaults. Like a person reading the form, an object argument whose
// description asks for another listed tool's inputSchema gets that schema, as the hub lists it.

type Schema = Record<string, unknown>;

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A tool as listed: its name and input schema. */
export interface ListedTool {
  readonly name: string;
  readonly inputSchema: unknown;
}

export function argumentsFor(inputSchema: unknown, listed: readonly ListedTool[] = []): Record<string, unknown> {
  const value = valueFor(inputSchema, 0, listed);
  return isSchema(value) ? value : {};
}

/** The listed tool whose inputSchema an object argument's description asks for ("the inputSchema … for <tool>"). */
function schemaAskedFor(schema: Schema, listed: readonly ListedTool[]): unknown {
  const description = typeof schema.description === 'string' ? schema.description : '';
  if (!/\binputSchema\b/.test(description)) return undefined;
  return listed.find((t) => new RegExp(`\\b${t.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(description))?.inputSchema;
}

export function valueFor(schema: unknown, depth: number, listed: readonly ListedTool[] = []): unknown {
  if (!isSchema(schema) || depth > 8) return {};
  if (schema.type === 'object' && depth > 0) {
    const asked = schemaAskedFor(schema, listed);
    if (asked !== undefined) return asked;
  }
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) return valueFor(options.find((o) => !isSchema(o) || o.type !== 'null') ?? options[0], depth + 1, listed);
  }
  const type = Array.isArray(schema.type) ? (schema.type as unknown[]).find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'number':
    case 'integer':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'string':
      return 'test';
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'null':
      return null;
    default: {
      const out: Record<string, unknown> = {};
      const properties = isSchema(schema.properties) ? schema.properties : {};
      const required = Array.isArray(schema.required) ? (schema.required as unknown[]).filter((r): r is string => typeof r === 'string') : [];
      for (const name of required) out[name] = valueFor(properties[name], depth + 1, listed);
      return out;
    }
  }
}
