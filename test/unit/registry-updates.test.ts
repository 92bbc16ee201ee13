// Newer versions and where entries go, without a network: version order, moving an entry to a newer
// version with its answers, the key of a new entry, the Update action, and the update check's timing
// on a fake clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freeKey, updatedEntry, withEntry } from '../../src/core/registry/entries';
import { entryFor, shapeOf, type InstallOption } from '../../src/core/registry/install';
import type { RegistryServer } from '../../src/core/registry/model';
import { parseServerResponse } from '../../src/core/registry/parse';
import { isNewer, planUpdate, RegistryUpdates, UPDATE_INTERVAL_MS } from '../../src/core/registry/updates';
import { RegistryClient } from '../../src/core/registry/client';
import { actionsFor, type ActionContext, type ServerState } from '../../src/core/state';
import { server } from '../fixtures/registry';
import { FakeClock, MemoryLogger } from '../helpers';

const shapes = async (_s: RegistryServer, option: InstallOption) => shapeOf(option);
const npm = (version: string, extra: Record<string, unknown> = {}) =>
  parseServerResponse({
    server: server('io.github.acme/weather', version, {
      packages: [
        {
          registryType: 'npm',
          identifier: '@acme/weather-mcp',
          version,
          transport: { type: 'stdio' },
          environmentVariables: [{ name: 'API_KEY', isRequired: true, isSecret: true, description: 'key' }],
          ...extra,
        },
      ],
    }),
  });

describe('versions', () => {
  it('orders semantic versions, pre-releases before their release', () => {
    assert.ok(isNewer('1.1.0', '1.0.9'));
    assert.ok(isNewer('2.0.0', '1.99.99'));
    assert.ok(!isNewer('1.0.0', '1.0.0'));
    assert.ok(!isNewer('1.0.0', '1.1.0'));
    assert.ok(isNewer('1.0.0', '1.0.0-beta.2'));
    assert.ok(isNewer('1.0.0-beta.10', '1.0.0-beta.2'));
    assert.ok(isNewer('1.0.0-rc.1', '1.0.0-beta.9'));
    assert.ok(!isNewer('1.0.0-beta', '1.0.0'));
    // Not semver: the registry's latest is an update whenever it differs.
    assert.ok(isNewer('2025-10-01', '2025-09-01'));
    assert.ok(!isNewer('r5', 'r5'));
  });
});

describe('moving an entry to a newer version', () => {
  const installed = npm('1.0.0');
  const { entry } = entryFor(
    shapeOf({ kind: 'package', package: installed.packages[0] }),
    { 'env.API_KEY': 'secret-123456' },
    { url: 'https://r', name: installed.name, version: '1.0.0' },
    () => 'weather.key',
  );

  it('keeps the answers, secrets as their ${input:…}', async () => {
    const plan = await planUpdate(entry, installed, npm('1.1.0'), shapes);
    assert.ok(plan.ok);
    assert.deepEqual(plan.answers, { 'env.API_KEY': '${input:weather.key}' });
    assert.deepEqual(plan.missing, []);
    const next = entryFor(plan.shape, plan.answers, { url: 'https://r', name: installed.name, version: '1.1.0' }, () => 'unused');
    assert.deepEqual(next.entry.args, ['-y', '@acme/weather-mcp@1.1.0']);
    assert.deepEqual(next.entry.env, { API_KEY: '${input:weather.key}' });
    assert.deepEqual(next.secrets, [], 'no secret is stored again');
  });

  it('asks only for what the newer version needs in addition', async () => {
    const next = npm('2.0.0', { packageArguments: [{ type: 'named', name: '--region', isRequired: true, description: 'Region' }] });
    const plan = await planUpdate(entry, installed, next, shapes);
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.missing.map((q) => q.id),
      ['arg.--region'],
    );
  });

  it('refuses an entry edited away from what it was installed as', async () => {
    const plan = await planUpdate({ ...(entry as object), command: 'node' }, installed, npm('1.1.0'), shapes);
    assert.ok(!plan.ok);
    assert.match(plan.problem, /no longer runs what its installed version describes/);
    const remoteOnly = parseServerResponse({ server: server('io.github.acme/weather', '3.0.0', { remotes: [{ type: 'streamable-http', url: 'https://w.example/mcp' }] }) });
    const gone = await planUpdate(entry, installed, remoteOnly, shapes);
    assert.ok(!gone.ok);
    assert.match(gone.problem, /no longer offers the npm option/);
  });

  it("keeps the person's own fields and replaces what runs", () => {
    const old = { command: 'npx', args: ['-y', 'a@1'], env: { A: '1' }, disabled: true, timeout: 30, tools: { deny: ['x'] }, registry: { url: 'u', name: 'n', version: '1' } };
    assert.deepEqual(updatedEntry(old, { command: 'npx', args: ['-y', 'a@2'], registry: { url: 'u', name: 'n', version: '2' } }), {
      command: 'npx',
      args: ['-y', 'a@2'],
      registry: { url: 'u', name: 'n', version: '2' },
      disabled: true,
      timeout: 30,
      tools: { deny: ['x'] },
    });
  });
});

describe('where a new entry goes', () => {
  it('takes a key of its own, never another entry', () => {
    const taken = new Set(['weather', 'weather-2']);
    assert.equal(
      freeKey('io.github.acme/weather', (k) => taken.has(k)),
      'weather-3',
    );
    assert.equal(
      freeKey('io.github.acme/Some Thing!', () => false),
      'Some-Thing',
    );
    assert.equal(
      freeKey('a/...', () => false),
      'server',
    );
    assert.deepEqual(withEntry({ other: { url: 'https://o' } }, 'weather', { url: 'https://w' }), { other: { url: 'https://o' }, weather: { url: 'https://w' } });
    assert.throws(() => withEntry({ weather: {} }, 'weather', {}), /added to these settings meanwhile/);
  });
});

describe('the Update action', () => {
  const ctx = (update: boolean): ActionContext => ({ configured: true, oauth: false, session: false, inputs: false, inlineSecrets: false, update });
  const states: ServerState[] = [
    { kind: 'running', serverInfo: { name: 's', version: '1' }, tools: [], resources: [], prompts: [] },
    { kind: 'error', message: 'x' },
    { kind: 'stopped' },
    { kind: 'needsInput', inputs: ['k'] },
    { kind: 'authRequired', reason: 'r' },
    { kind: 'disabled', reason: 'settings' },
  ];

  it('is offered where a newer version exists, and never while starting, signing in, or blocked', () => {
    for (const state of states) {
      assert.ok(actionsFor(state, ctx(true)).includes('update'), state.kind);
      assert.ok(!actionsFor(state, ctx(false)).includes('update'), state.kind);
    }
    for (const state of [
      { kind: 'starting' },
      { kind: 'authenticating' },
      { kind: 'disabled', reason: 'policy' },
      { kind: 'disabled', reason: 'approval' },
      { kind: 'running', serverInfo: { name: 's', version: '1' }, tools: [], resources: [], prompts: [], signIn: {} },
    ] as ServerState[]) {
      assert.ok(!actionsFor(state, ctx(true)).includes('update'), JSON.stringify(state));
    }
  });
});

describe('the update check', () => {
  it('checks at start, then after a day; one request per registry server; a failing registry is logged', async () => {
    const clock = new FakeClock();
    const logger = new MemoryLogger();
    const asked: string[] = [];
    let latest = '1.1.0';
    const fetch = async (url: string) => {
      asked.push(url);
      if (url.includes('broken')) return new Response('nope', { status: 500 });
      return new Response(JSON.stringify({ server: { name: decodeURIComponent(url.split('/servers/')[1].split('/')[0]), version: latest, description: 'd' } }), { status: 200 });
    };
    const results: Array<ReadonlyMap<string, string>> = [];
    const updates = new RegistryUpdates({
      client: (url) => new RegistryClient(url, { fetch }),
      installed: () => [
        { name: 'weather', registry: { url: 'https://r.example', name: 'io.github.acme/weather', version: '1.0.0' } },
        { name: 'weather (workspace)', registry: { url: 'https://r.example', name: 'io.github.acme/weather', version: '1.1.0' } },
        { name: 'other', registry: { url: 'https://broken.example', name: 'io.github.acme/other', version: '1.0.0' } },
      ],
      onResult: (m) => results.push(m),
      clock,
      logger,
    });
    try {
      const first = await updates.checkNow();
      assert.deepEqual([...first], [['weather', '1.1.0']]);
      assert.equal(asked.filter((u) => u.includes('r.example')).length, 1, 'one request for the two entries of one server');
      assert.match(logger.text(), /update check of io\.github\.acme\/other: The MCP registry broken\.example answered HTTP 500\./);
      latest = '1.2.0';
      clock.advance(UPDATE_INTERVAL_MS - 1);
      await Promise.resolve();
      assert.equal(results.length, 1, 'not before a day has passed');
      clock.advance(1);
      await waitUntil(() => results.length === 2);
      assert.deepEqual(Object.fromEntries(results[1]), { weather: '1.2.0', 'weather (workspace)': '1.2.0' });
    } finally {
      updates.dispose();
    }
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setImmediate(r));
}
