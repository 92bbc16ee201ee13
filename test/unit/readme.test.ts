// The README's settings examples work as written: every entry parses, and every variable in them
// is one MCP Hub knows.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CfWorkerJsonSchemaValidator } from '@modelcontextprotocol/client/validators/cf-worker';
import { PROTOCOL_SETTINGS, REMOTE_TRANSPORTS, parseServers } from '../../src/core/config';
import { AVAILABILITIES, GATEWAY_MODES, MANAGED_SERVER_FIELDS, POLICY_FIELDS, USER_SERVERS_MODES, parseManagedPolicy } from '../../src/core/managed-policy';
import { parseManagedChoices } from '../../src/core/policies';
import { resolveStatic, variablesIn } from '../../src/core/variables';

const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');

/** The jsonc blocks of the README, as JSON objects (comments and trailing commas removed). */
function jsoncBlocks(): Record<string, unknown>[] {
  return [...readme.matchAll(/```jsonc\n([\s\S]*?)```/g)].map((m) => {
    const text = m[1]
      .split('\n')
      .map((line) => line.replace(/\s\/\/.*$/, '').replace(/^\s*\/\/.*$/, ''))
      .join('\n')
      .replace(/,(\s*[}\]])/g, '$1');
    return JSON.parse(`{${text}}`) as Record<string, unknown>;
  });
}

/** The json blocks of the README: organisation policies (whole objects) and `"setting": value` lines. */
function jsonBlocks(): string[] {
  return [...readme.matchAll(/^( *)```json\n([\s\S]*?)^\1```/gm)].map((m) => m[2]);
}

describe('README examples of the organisation policy', () => {
  const all = jsonBlocks();
  const isSchema = (text: string) => text.includes('"$schema": "http://json-schema.org/draft-07/schema#"');
  const schemaText = all.find(isSchema);
  const blocks = all.filter((b) => !isSchema(b));
  it('has the policy example, its JSON schema and the person’s choices', () => assert.ok(blocks.length >= 2 && schemaText));
  for (const [i, text] of blocks.entries()) {
    it(`json block ${i + 1} is a valid policy or setting`, () => {
      if (text.trimStart().startsWith('{')) {
        const policy = parseManagedPolicy(text, 'README');
        assert.equal(policy.kind, 'ok', JSON.stringify(policy));
        return;
      }
      const setting = JSON.parse(`{${text}}`) as Record<string, unknown>;
      assert.deepEqual(Object.keys(setting), ['mcpHub.managedServers']);
      for (const [name, choice] of parseManagedChoices(setting['mcpHub.managedServers'])) assert.equal(choice.problem, undefined, name);
    });
  }

  type Schema = { properties: Record<string, { enum?: unknown[]; additionalProperties?: { properties: Record<string, { enum?: unknown[] }> } }> };
  const schema = JSON.parse(schemaText ?? '{}') as Schema;
  const validate = new CfWorkerJsonSchemaValidator().getValidator(schema);

  it('its JSON schema names the fields and values the policy is validated against', () => {
    const server = schema.properties.servers.additionalProperties!.properties;
    assert.deepEqual(Object.keys(schema.properties).sort(), [...POLICY_FIELDS].sort());
    assert.deepEqual(Object.keys(server).sort(), [...MANAGED_SERVER_FIELDS].sort());
    assert.deepEqual(server.availability.enum, AVAILABILITIES);
    assert.deepEqual(server.type.enum, ['stdio', ...REMOTE_TRANSPORTS]);
    assert.deepEqual(server.protocolVersion.enum, PROTOCOL_SETTINGS);
    assert.deepEqual(schema.properties.userServers.enum, USER_SERVERS_MODES);
    assert.deepEqual(schema.properties.gateway.enum, GATEWAY_MODES);
  });

  it('its JSON schema takes the example and refuses what the policy refuses', () => {
    for (const text of blocks.filter((b) => b.trimStart().startsWith('{'))) assert.ok(validate(JSON.parse(text)).valid, validate(JSON.parse(text)).errorMessage);
    const wiki = { url: 'https://mcp.acme.example/wiki', availability: 'required' };
    // prettier-ignore
    for (const bad of [
      { userServer: 'none' }, { gateway: 'local' }, { version: 2 }, { servers: { wiki: { url: wiki.url } } }, { servers: { wiki: { ...wiki, availability: 'always' } } },
      { servers: { wiki: { ...wiki, disabled: true } } }, { servers: { wiki: { ...wiki, tools: { deny: 'x' } } } }, { allow: { commands: ['npx -y x'] } }, { allow: { hosts: [] } },
    ]) {
      assert.equal(validate(bad).valid, false, `the schema refuses ${JSON.stringify(bad)}`);
      assert.equal(parseManagedPolicy(JSON.stringify(bad), 'x').kind, 'broken', `the policy refuses ${JSON.stringify(bad)}`);
    }
  });
});

describe('README examples', () => {
  const blocks = jsoncBlocks();
  it('has the settings examples', () => assert.ok(blocks.length >= 2));
  for (const [i, block] of blocks.entries()) {
    it(`block ${i + 1} parses and its variables resolve`, () => {
      const servers = (block['mcpHub.servers'] ?? block) as Record<string, unknown>;
      for (const entry of parseServers(servers, 'user')) {
        assert.ok(entry.ok, entry.ok ? '' : entry.error);
        const resolved = resolveStatic(entry.config, { userHome: '/home/me', env: {}, workspaceFolder: '/work', workspaceOpen: true });
        assert.ok(resolved.ok, resolved.ok ? '' : resolved.message);
        for (const name of variablesIn(entry.config).inputs) assert.match(name, /^[A-Za-z0-9_.-]+$/);
      }
    });
  }
});
