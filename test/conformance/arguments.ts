// Arguments for a tool call made without a person: what the schema suggests (default, examples,
// const, enum), else a plain value of the declared type. Only required properties are filled, so
// optional ones keep the server's defaults.

type Schema = Record<string, unknown>;

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

export function argumentsFor(inputSchema: unknown): Record<string, unknown> {
  const value = valueFor(inputSchema, 0);
  return isSchema(value) ? value : {};
}

export function valueFor(schema: unknown, depth: number): unknown {
  if (!isSchema(schema) || depth > 8) return {};
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) return valueFor(options.find((o) => !isSchema(o) || o.type !== 'null') ?? options[0], depth + 1);
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
      for (const name of required) out[name] = valueFor(properties[name], depth + 1);
      return out;
    }
  }
}
