// The settings schema in package.json (what the settings editor checks and completes) and the hand
// validator in src/core/config.ts (what the hub runs on) say the same: this walks both. Every
// property the schema declares is one the validator reads, and every property the validator reads is
// declared (found by handing it an entry that records each read); every enum is the validator's own
// list of values; every property of the schema refuses a value of the wrong type, naming itself.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GRANT_TYPES, parseEnterpriseIdp, parseServer, PKCE_SETTINGS, PROTOCOL_SETTINGS, REMOTE_TRANSPORTS } from '../../src/core/config';
import { root } from '../helpers';

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  anyOf?: Schema[];
  items?: Schema;
};
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, Schema> } } };
const settings = manifest.contributes.configuration.properties;
const [stdioSchema, remoteSchema] = settings['mcpHub.servers'].additionalProperties !== undefined ? (settings['mcpHub.servers'].additionalProperties as Schema).anyOf! : [];

/** Every property path a schema declares (`auth.assertion.file`), with its schema; maps (additionalProperties) are leaves. */
function declared(schema: Schema, prefix = ''): Map<string, Schema> {
  const out = new Map<string, Schema>();
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    const path = prefix + key;
    out.set(path, sub);
    for (const variant of [sub, ...(sub.anyOf ?? [])]) for (const [p, s] of declared(variant, `${path}.`)) out.set(p, s);
  }
  return out;
}

/**
 * The property paths a validator reads from `entry`: a stand-in that records each property asked for
 * (read or tested with `in`), nested objects included. Map-valued fields (env, headers) are given
 * empty, so their own keys are never read.
 */
function reads(validate: (entry: unknown) => unknown, entry: Record<string, unknown>): Set<string> {
  const seen = new Set<string>();
  const watch = (target: Record<string, unknown>, prefix: string): Record<string, unknown> =>
    new Proxy(target, {
      get(t, key, receiver) {
        if (typeof key !== 'string') return Reflect.get(t, key, receiver) as unknown;
        seen.add(prefix + key);
        const value = t[key];
        return typeof value === 'object' && value !== null && !Array.isArray(value) ? watch(value as Record<string, unknown>, `${prefix}${key}.`) : value;
      },
      has(t, key) {
        if (typeof key === 'string') seen.add(prefix + key);
        return key in t;
      },
    });
  validate(watch(entry, ''));
  return seen;
}

const server = (entry: unknown) => parseServer('probe', entry, 'user');
const REGISTRY = { url: 'https://registry.example.com', name: 'io.example/server', version: '1.0.0' };
/** Entries that take the validator down each of its paths: stdio and remote, each shape of auth.assertion. */
const probes: Array<[Schema, Record<string, unknown>]> = [
  [stdioSchema, { command: 'node', args: [], env: {}, cwd: '/tmp', disabled: false, timeout: 5, protocolVersion: 'auto', tools: { allow: [], deny: [] }, registry: REGISTRY }],
  [
    remoteSchema,
    { url: 'https://e.com/mcp', type: 'http', headers: {}, tools: {}, registry: REGISTRY, auth: { clientId: 'c', grantType: 'jwt-bearer', assertion: { file: '/t' } } },
  ],
  [remoteSchema, { url: 'https://e.com/mcp', auth: { clientId: 'c', grantType: 'jwt-bearer', assertion: { command: 'x', args: [] } } }],
  [
    remoteSchema,
    {
      url: 'https://e.com/mcp',
      auth: {
        clientId: 'c',
        account: 'work@example.com',
        endpoints: { authorization: 'https://as/a', token: 'https://as/t', registration: 'https://as/r', revocation: 'https://as/v' },
      },
    },
  ],
];

describe('the settings schema and the validator agree', () => {
  it('mcpHub.servers: each declares the properties the other reads', () => {
    const all = new Map([...declared(stdioSchema), ...declared(remoteSchema)]);
    for (const [schema, entry] of probes) {
      const kind = schema === stdioSchema ? 'a stdio' : 'a remote';
      const known = declared(schema);
      for (const path of reads(server, entry)) {
        assert.ok(all.has(path), `the validator reads ${path}, which the schema does not declare`);
        if (known.has(path)) continue;
        // Declared for the other kind of server only: the validator reads it to refuse it here.
        const refused = server({ ...entry, [path]: all.get(path)!.type === 'string' ? 'https://e.com/mcp' : {} });
        assert.ok(!refused.ok && refused.error.includes(path), `${kind} server takes ${path}, which its schema does not declare`);
      }
    }
    for (const schema of [stdioSchema, remoteSchema]) {
      const read = new Set(probes.filter(([s]) => s === schema).flatMap(([, entry]) => [...reads(server, entry)]));
      for (const path of declared(schema).keys()) assert.ok(read.has(path), `the schema declares ${path}, which the validator never reads`);
    }
  });

  it('mcpHub.enterprise.idp: each declares the properties the other reads', () => {
    const schema = settings['mcpHub.enterprise.idp'];
    const read = new Set([
      ...reads(parseEnterpriseIdp, { issuer: 'https://idp.example.com', clientId: 'c', authProvider: { id: 'microsoft', scopes: [] } }),
      ...reads(parseEnterpriseIdp, { issuer: 'https://idp.example.com', clientId: 'c', clientSecret: '${input:s}', scope: 's', callbackPort: 1 }),
    ]);
    const known = declared(schema);
    for (const path of read) assert.ok(known.has(path), `parseEnterpriseIdp reads ${path}, which the schema does not declare`);
    for (const path of known.keys()) assert.ok(read.has(path), `the schema declares ${path}, which parseEnterpriseIdp never reads`);
  });

  it("offers exactly the validator's values for each enum", () => {
    const remote = declared(remoteSchema);
    assert.deepEqual(declared(stdioSchema).get('type')!.const, 'stdio');
    assert.deepEqual(remote.get('type')!.enum, [...REMOTE_TRANSPORTS]);
    for (const schema of [stdioSchema, remoteSchema]) assert.deepEqual(declared(schema).get('protocolVersion')!.enum, [...PROTOCOL_SETTINGS]);
    assert.deepEqual(remote.get('auth.grantType')!.enum, [...GRANT_TYPES]);
    assert.deepEqual(remote.get('auth.pkce')!.enum, [...PKCE_SETTINGS]);
    // No other enum anywhere that this test does not tie.
    const tied = new Set(['type', 'protocolVersion', 'auth.grantType', 'auth.pkce']);
    for (const schema of [stdioSchema, remoteSchema, settings['mcpHub.enterprise.idp']]) {
      for (const [path, s] of declared(schema)) if (s.enum) assert.ok(tied.has(path), `${path} has an enum no test ties to the validator`);
    }
    // And the validator takes each value, and refuses one outside the list, naming the field.
    for (const value of PROTOCOL_SETTINGS) assert.ok(server({ url: 'https://e.com', protocolVersion: value }).ok, value);
    for (const value of PKCE_SETTINGS) assert.ok(server({ url: 'https://e.com', auth: { pkce: value } }).ok, value);
    for (const value of GRANT_TYPES) {
      const auth = { clientId: 'c', clientSecret: 's', grantType: value, ...(value === 'jwt-bearer' ? { assertion: 'a' } : {}) };
      assert.ok(server({ url: 'https://e.com', auth }).ok, value);
    }
    for (const [field, entry] of [
      ['type', { url: 'https://e.com', type: 'websocket' }],
      ['protocolVersion', { url: 'https://e.com', protocolVersion: '2024-11-05' }],
      ['auth.grantType', { url: 'https://e.com', auth: { grantType: 'password' } }],
      ['auth.pkce', { url: 'https://e.com', auth: { pkce: 'plain' } }],
    ] as const) {
      const e = server(entry);
      assert.ok(!e.ok && e.error.startsWith(`mcpHub.servers.probe.${field}: `), `${field}: ${e.ok ? 'accepted' : e.error}`);
    }
  });

  it('refuses a value of the wrong type for every property of the schema, naming it', () => {
    /** A value the schema's type does not allow. */
    const wrong = (s: Schema): unknown => {
      const types = [s.type ?? s.anyOf?.map((v) => v.type) ?? []].flat();
      if (s.enum || s.const !== undefined) return 'not-one-of-them';
      return types.includes('string') || types.includes('array') ? 42 : 'a string';
    };
    for (const [schema, base] of [
      [stdioSchema, { command: 'node', registry: REGISTRY }],
      [remoteSchema, { url: 'https://e.com/mcp', registry: REGISTRY }],
    ] as const) {
      for (const [path, s] of declared(schema)) {
        if (path === 'command' || path === 'url' || path === 'type') continue; // they choose the kind of entry: checked above
        if (path.startsWith('auth.assertion.')) continue; // the shapes of auth.assertion: below
        const entry: Record<string, unknown> = structuredClone(base);
        const keys = path.split('.');
        let at = entry;
        for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
        at[keys[keys.length - 1]] = wrong(s);
        const e = server(entry);
        assert.ok(!e.ok && e.error.startsWith(`mcpHub.servers.probe.${path}`), `${path} = ${JSON.stringify(wrong(s))}: ${e.ok ? 'accepted' : e.error}`);
      }
    }
    // Provenance decides what may run under registry-only policies: one of another shape is an error naming it, never ignored.
    for (const value of ['a string', { url: 42, name: 'n', version: '1' }]) {
      const e = server({ command: 'node', registry: value });
      assert.ok(!e.ok && e.error.startsWith('mcpHub.servers.probe.registry'), JSON.stringify(value));
    }
    for (const assertion of [{ file: 42 }, { command: 42 }, { command: 'x', args: 42 }, { file: '/t', command: 'x' }]) {
      const e = server({ url: 'https://e.com/mcp', auth: { clientId: 'c', grantType: 'jwt-bearer', assertion } });
      assert.ok(!e.ok && e.error.startsWith('mcpHub.servers.probe.auth.assertion'), JSON.stringify(assertion));
    }
  });
});
