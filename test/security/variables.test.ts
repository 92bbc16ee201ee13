// The attacker here writes environment variables, stored input values and server entries: values that
// look like variables, huge values, names that try to reach other secrets. For each one: nothing is
// expanded twice, a bad name is refused, and every secret that was resolved is masked afterwards.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { RemoteServerConfig, ServerConfig, StdioServerConfig } from '../../src/core/config';
import { InputStore } from '../../src/core/inputs';
import { MemorySecretStore } from '../../src/core/oauth/token-store';
import { scrubber } from '../../src/core/scrub';
import { resolveInputs, resolveStatic, variablesIn, type VariableContext } from '../../src/core/variables';
import { cpuTimed } from '../work';

const base = { source: 'user', disabled: false, timeoutSeconds: 60, tools: {}, protocolVersion: 'auto' } as const;
const stdio = (fields: Partial<StdioServerConfig>): StdioServerConfig => ({ ...base, name: 'fs', type: 'stdio', command: 'node', args: [], env: {}, ...fields });
const remote = (fields: Partial<RemoteServerConfig>): RemoteServerConfig => ({ ...base, name: 'api', type: 'http', url: 'https://mcp.example.com/mcp', headers: {}, ...fields });

// Every string a variable could expand to, were a second pass to run.
const SECOND_PASS_MARKERS = ['/WORKSPACE-ROOT', '/HOME-DIR', 'ENV-EXPANDED', 'INPUT-EXPANDED'];
const ctx: VariableContext = { userHome: '/HOME-DIR', workspaceFolder: '/WORKSPACE-ROOT', workspaceOpen: true, env: { INNER: 'ENV-EXPANDED' } };

let hostile = 0;
let expandedTwice = 0;
let secretsSeen = 0;
after(() => console.log(`security[variables]: hostile values ${hostile}, expanded twice ${expandedTwice}, secrets seen ${secretsSeen}`));

function allStrings(config: ServerConfig): string[] {
  const out = config.type === 'stdio' ? [config.command, ...config.args, ...Object.values(config.env), config.cwd ?? ''] : [config.url, ...Object.values(config.headers)];
  return [...out, ...Object.values(config.auth ?? {}).filter((v): v is string => typeof v === 'string')];
}
const countSecondPass = (config: ServerConfig, allowed: string[]) => {
  const text = allStrings(config).join('\n');
  return SECOND_PASS_MARKERS.filter((m) => !allowed.includes(m) && text.includes(m)).length;
};

// prettier-ignore
const variableLooking = [
  '${input:token}', '${workspaceFolder}', '${userHome}', '${env:INNER}', '${input:token}${workspaceFolder}',
  'x${env:INNER}y', '${env:${input:token}}', '$${input:token}}', '${input:token', '${HOME}', '${config:x}',
  '${input:../mcpHub.oauth/host}', '\u0000${input:token}\n', '${input:token}'.repeat(1000),
];

describe('security: variables', () => {
  it('environment values that look like variables are passed on literally and read no input', async () => {
    for (const value of variableLooking) {
      hostile++;
      const asked: string[] = [];
      const env = { ...ctx.env, EVIL: value };
      const s = resolveStatic(stdio({ args: ['${env:EVIL}'], env: { X: '${env:EVIL}' }, cwd: '${env:EVIL}' }), { ...ctx, env, workspaceFolder: undefined });
      assert.ok(s.ok, s.ok ? '' : s.message);
      const r = await resolveInputs(s.config, async (n) => (asked.push(n), 'INPUT-EXPANDED'));
      assert.ok(r.ok);
      const c = r.config as StdioServerConfig;
      expandedTwice += countSecondPass(c, []) + asked.length;
      assert.deepEqual([c.args[0], c.env.X, c.cwd], [value, value, value]);
      assert.deepEqual(asked, []);
    }
  });

  it('input values that look like variables are passed on literally', async () => {
    for (const value of variableLooking) {
      hostile++;
      const asked: string[] = [];
      const s = resolveStatic(
        remote({ url: 'https://mcp.example.com/mcp?k=${input:token}', headers: { A: '${input:token}' }, auth: { clientId: 'id', clientSecret: '${input:token}' } }),
        ctx,
      );
      assert.ok(s.ok);
      const r = await resolveInputs(s.config, async (n) => (asked.push(n), n === 'token' ? value : 'INPUT-EXPANDED'));
      assert.ok(r.ok);
      const c = r.config as RemoteServerConfig;
      expandedTwice += countSecondPass(c, []) + asked.length - 1;
      assert.equal(c.headers.A, value);
      assert.equal(c.auth?.clientSecret, value);
      assert.equal(c.url, 'https://mcp.example.com/mcp?k=' + value);
      assert.deepEqual(asked, ['token']);
    }
  });

  it('folder and home paths that look like variables are passed on literally', async () => {
    for (const value of variableLooking) {
      hostile++;
      const s = resolveStatic(stdio({ command: '${userHome}', cwd: '${workspaceFolder}' }), { ...ctx, userHome: value, workspaceFolder: value });
      assert.ok(s.ok);
      const r = await resolveInputs(s.config, async () => 'INPUT-EXPANDED');
      assert.ok(r.ok);
      expandedTwice += countSecondPass(r.config, []);
      assert.deepEqual([(r.config as StdioServerConfig).command, (r.config as StdioServerConfig).cwd], [value, value]);
    }
  });

  it('refuses input and variable names that could reach elsewhere, without echoing them', () => {
    const badNames = ['../../etc/passwd', '..\\..\\secret', 'a}b', 'a{b', 'mcpHub.oauth/host', '', 'x'.repeat(65), 'tab\tname', 'new\nline', 'ünïcode', 'a b', '$x', 'a:b'];
    for (const name of badNames) {
      hostile++;
      const r = resolveStatic(stdio({ args: [`--t=\${input:${name}}`] }), ctx);
      // A "}" in the name ends the reference early: the rest is literal, and the name before it is checked.
      if (name === 'a}b') {
        assert.ok(r.ok);
        assert.deepEqual(variablesIn(r.config).inputs, ['a']);
        continue;
      }
      assert.ok(!r.ok, name);
      assert.equal(r.reason, 'invalid');
      assert.match(r.message, /^mcpHub\.servers\.fs\.args\[0\]: /);
      if (name.length > 0) assert.ok(!r.message.includes(name) || /^[A-Za-z0-9_.:()-]+$/.test(name), r.message);
    }
    for (const name of ['../../secret', 'A B', '${input:x}']) {
      hostile++;
      const r = resolveStatic(stdio({ args: [`\${env:${name}}`] }), ctx);
      assert.ok(!r.ok && r.reason === 'invalid', name);
    }
  });

  it('is linear in the size of a huge value, with or without closing braces', async () => {
    const huge = [
      '${'.repeat(500_000),
      '${'.repeat(500_000) + '}',
      '${userHome}'.repeat(100_000),
      '$'.repeat(1_000_000),
      '{'.repeat(500_000) + '}'.repeat(500_000),
      'A'.repeat(2_000_000),
    ];
    for (const value of huge) {
      hostile++;
      const { value: s, ms } = cpuTimed(() => resolveStatic(stdio({ args: [value], env: { BIG: value } }), ctx));
      assert.ok(ms < 2000, `took ${ms} ms of CPU`);
      if (value.startsWith('${'.repeat(2)) && value.endsWith('}')) {
        assert.ok(!s.ok && s.reason === 'invalid');
        continue;
      }
      assert.ok(s.ok);
      const r = await resolveInputs(s.config, async () => undefined);
      assert.ok(r.ok);
    }
    hostile++;
    const bigSecret = 'S'.repeat(1_000_000);
    const r = await resolveInputs(stdio({ args: ['${input:big}'] }), async () => bigSecret);
    assert.ok(r.ok && (r.config as StdioServerConfig).args[0] === bigSecret);
  });

  it('has the scrubber remember every secret it resolved: inputs, headers, env values, auth secrets', async () => {
    const secrets = new MemorySecretStore();
    const inputs = new InputStore(secrets);
    const stored = { 'gh.token': 'ghp_variablesSecurity01', pat: 'pat-variablesSecurity02', key: 'key-variablesSecurity03' };
    // Written straight into the secret store, as another window would: the InputStore has never seen them.
    for (const [name, value] of Object.entries(stored)) await secrets.store('mcpHub.input/' + name, value);
    const literal = { header: 'hdr-variablesSecurity04', env: 'env-variablesSecurity05', clientSecret: 'cs-variablesSecurity06', privateKey: 'pk-variablesSecurity07' };
    const configs: ServerConfig[] = [
      stdio({ args: ['--token', '${input:gh.token}'], env: { GH: 'Bearer ${input:pat}', PLAIN: literal.env }, auth: { clientId: 'id', privateKey: literal.privateKey } }),
      remote({
        headers: { Authorization: 'Bearer ${input:pat}', 'X-Key': literal.header },
        auth: { clientId: 'id', clientSecret: literal.clientSecret, privateKey: '${input:key}' },
      }),
    ];
    const read = (name: string) => new Map(Object.entries(stored)).get(name);
    for (const config of configs) {
      const s = resolveStatic(config, ctx);
      assert.ok(s.ok);
      const r = await resolveInputs(s.config, async (name) => read(name));
      assert.ok(r.ok);
      for (const secret of r.secrets) assert.ok(Object.values(stored).includes(secret));
    }
    // Read through the InputStore too, the way the hub reads them.
    const viaStore = await resolveInputs(stdio({ args: ['${input:key}'] }), (name) => inputs.get(name));
    assert.ok(viaStore.ok);
    const seen = [...Object.values(stored), ...Object.values(literal)].filter((secret) => {
      hostile++;
      return scrubber.message(`the server said: ${secret}.`).includes(secret);
    });
    secretsSeen += seen.length;
    assert.deepEqual(seen, [], 'a resolved secret was shown');
  });

  it('remembers the input values it read even when another input is missing', async () => {
    hostile++;
    const value = 'partial-variablesSecurity08';
    const r = await resolveInputs(stdio({ args: ['${input:here}', '${input:absent}'] }), async (n) => (n === 'here' ? value : undefined));
    assert.deepEqual(r, { ok: false, missing: ['absent'] });
    const seen = scrubber.message(`value: ${value}`).includes(value);
    if (seen) secretsSeen++;
    assert.equal(seen, false);
  });
});
