// Servers from a registry, end to end without the editor: found by search, installed (every kind
// written as an ordinary entry, secrets in secret storage), started by the hub, updated to a newer
// version keeping their answers; hostile entries and failing registries write nothing; and
// chat.mcp.access "registry" runs exactly the entries that run what the registry describes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseServers } from '../../src/core/config';
import { McpHub, REGISTRY_RECHECK_MS } from '../../src/core/hub';
import { InputStore, USER_INPUTS } from '../../src/core/inputs';
import { MemorySecretStore } from '../../src/core/oauth/token-store';
import { systemClock } from '../../src/core/ports';
import { RegistryClient, RegistryError } from '../../src/core/registry/client';
import { freeKey } from '../../src/core/registry/entries';
import { defaultAnswers, installOptions, optionProblem, shapeOf, type InstallOption } from '../../src/core/registry/install';
import { runFieldsOf } from '../../src/core/registry/match';
import type { RegistryServer } from '../../src/core/registry/model';
import { RegistryUpdates } from '../../src/core/registry/updates';
import { addServerEntry, updateServerEntry, WriteRefused, type ServersScope } from '../../src/core/registry/writes';
import { actionsFor } from '../../src/core/state';
import { toServerView } from '../../src/view-model';
import { startHttpServer, type HttpFixture } from '../fixtures/http-server';
import { catalog, hostile, server, startRegistry, type RegistryFixture } from '../fixtures/registry';
import { FakeClock, fastRetry, MemoryLogger, waitFor } from '../helpers';

const API_KEY = 'registry-api-key-7f3a9c';
const shapes = async (_s: RegistryServer, option: InstallOption) => shapeOf(option);

/** User settings in memory, written as VS Code would: the whole `mcpHub.servers` value at once. */
class MemoryScope implements ServersScope {
  writes = 0;
  failNextWrite = false;
  constructor(public servers: Record<string, unknown> = {}) {}
  read() {
    return structuredClone(this.servers);
  }
  async write(next: Record<string, unknown>) {
    if (this.failNextWrite) {
      this.failNextWrite = false;
      throw new Error('settings.json could not be written');
    }
    this.writes++;
    this.servers = structuredClone(next);
  }
}

describe('servers from a registry', () => {
  let remote: HttpFixture;
  let registry: RegistryFixture;
  let client: RegistryClient;
  before(async () => {
    remote = await startHttpServer({ name: 'registry-remote', requireHeader: ['x-api-key', API_KEY] });
    registry = await startRegistry([...catalog({ remoteUrl: remote.url }), ...hostile()]);
    client = new RegistryClient(registry.url);
  });
  after(async () => {
    await registry.close();
    await remote.close();
  });

  const find = async (search: string): Promise<RegistryServer> => {
    const page = await client.list({ search });
    assert.equal(page.servers.length, 1, `one server for "${search}"`);
    return page.servers[0];
  };

  /** The registry's remote-http server added as "remote", with its API key. */
  const addRemote = async (scope: MemoryScope, inputs: InputStore, answers: Record<string, string> = { 'header.X-Api-Key': API_KEY }) => {
    const found = await find('remote-http');
    const provenance = { url: client.url, name: found.name, version: found.version };
    return addServerEntry({ scope, inputs, inputScope: USER_INPUTS, key: 'remote', shape: shapeOf(installOptions(found)[0]), answers, provenance });
  };
  /** Update of "remote" as its settings hold it now. */
  const updateRemote = (scope: MemoryScope, inputs: InputStore, using: RegistryClient = client) => {
    const entry = parseServers(scope.servers, 'user').find((e) => e.name === 'remote');
    assert.ok(entry?.ok);
    return updateServerEntry({
      scope,
      inputs,
      inputScope: USER_INPUTS,
      key: 'remote',
      client: using,
      from: entry.config.registry!,
      runs: runFieldsOf(entry.config, scope.read().remote as Record<string, unknown>),
      shapes,
      ask: async () => assert.fail('nothing new to ask'),
    });
  };

  it('installs each kind as an ordinary entry, every other entry left as it was', async () => {
    const scope = new MemoryScope({ mine: { command: 'node', args: ['mine.js'] } });
    const inputs = new InputStore(new MemorySecretStore());
    const answers: Record<string, Record<string, string>> = {
      'acme/weather': { 'env.WEATHER_API_KEY': 'weather-key-123456' },
      'acme/pyweather': { 'arg.--units': 'celsius' },
      'acme/dockerized': { 'runtime.--mount.source_path': '/srv/data', 'env.DB_PASSWORD': 'db-password-654321' },
      'acme/dotnet': {},
      'acme/remote-http': { 'header.X-Api-Key': API_KEY },
      'acme/remote-sse': { 'url.region': 'us' },
    };
    for (const [search, given] of Object.entries(answers)) {
      const found = await find(search);
      const [option] = installOptions(found);
      assert.equal(optionProblem(option, client.url), undefined);
      const shape = shapeOf(option);
      const key = freeKey(found.name, (k) => k in scope.servers);
      await addServerEntry({
        scope,
        inputs,
        inputScope: USER_INPUTS,
        key,
        shape,
        answers: { ...defaultAnswers(shape), ...given },
        provenance: { url: client.url, name: found.name, version: found.version },
      });
    }
    assert.deepEqual(Object.keys(scope.servers), ['mine', 'weather', 'pyweather', 'dockerized', 'dotnet', 'remote-http', 'remote-sse']);
    assert.deepEqual(scope.servers.mine, { command: 'node', args: ['mine.js'] });
    assert.deepEqual(scope.servers.weather, {
      command: 'npx',
      args: ['-y', '@acme/weather-mcp@1.1.0'],
      env: { WEATHER_API_KEY: '${input:weather.env.WEATHER_API_KEY}', WEATHER_UNITS: 'metric' },
      registry: { url: registry.url, name: 'io.github.acme/weather', version: '1.1.0' },
    });
    assert.deepEqual((scope.servers.pyweather as { args: string[] }).args, ['weather-mcp-server==0.5.0', '--units', 'celsius']);
    assert.deepEqual((scope.servers.dockerized as { args: string[] }).args, [
      'run',
      '-i',
      '--rm',
      '--mount',
      'type=bind,src=/srv/data,dst=/project',
      '-e',
      'DB_PASSWORD',
      'ghcr.io/acme/dockerized:2.0.0',
    ]);
    assert.deepEqual((scope.servers.dotnet as { args: string[] }).args, ['Acme.SampleMcpServer@0.4.0-beta', '--yes', '--', 'mcp', 'start']);
    assert.deepEqual(scope.servers['remote-http'], {
      type: 'streamable-http',
      url: remote.url,
      headers: { 'X-Api-Key': '${input:remote-http.header.X-Api-Key}' },
      registry: { url: registry.url, name: 'io.github.acme/remote-http', version: '3.0.0' },
    });
    assert.equal((scope.servers['remote-sse'] as { url: string }).url, 'https://us.sse.example/sse');
    // Every entry is valid as written; secrets are in secret storage and nowhere in settings.
    for (const e of parseServers(scope.servers, 'user')) assert.ok(e.ok, e.ok ? '' : e.error);
    const settings = JSON.stringify(scope.servers);
    for (const secret of ['weather-key-123456', 'db-password-654321', API_KEY]) assert.ok(!settings.includes(secret));
    assert.equal(await inputs.get('weather.env.WEATHER_API_KEY'), 'weather-key-123456');
    assert.equal(await inputs.get('remote-http.header.X-Api-Key'), API_KEY);
  });

  it('runs a remote it installed, then moves it to a newer version, keeping its secret, and the row says so', async () => {
    const scope = new MemoryScope();
    const store = new MemorySecretStore();
    const inputs = new InputStore(store);
    const logger = new MemoryLogger();
    const hub = new McpHub({ logger, clock: systemClock, clientInfo: { name: 't', version: '0' }, retry: fastRetry, inputs });
    const apply = () => hub.applyConfig(parseServers(scope.servers, 'user'), { trusted: true });
    try {
      await addRemote(scope, inputs);
      await apply();
      await waitFor(hub, 'remote', (s) => s.state.kind === 'running');

      // The registry publishes 3.1.0: the check finds it, the row shows it with Update.
      registry.publish({
        server: server('io.github.acme/remote-http', '3.1.0', {
          remotes: [{ type: 'streamable-http', url: remote.url, headers: [{ name: 'X-Api-Key', description: 'API key', isRequired: true, isSecret: true }] }],
        }),
      });
      const updates = new RegistryUpdates({
        client: (url) => new RegistryClient(url),
        installed: () => hub.registryEntries(),
        onResult: (m) => hub.setAvailableUpdates(m),
        clock: systemClock,
        logger,
      });
      try {
        assert.deepEqual([...(await updates.checkNow())], [['remote', '3.1.0']]);
      } finally {
        updates.dispose();
      }
      const row = hub.server('remote')!;
      assert.equal(row.updateAvailable, '3.1.0');
      assert.ok(actionsFor(row.state, row.actionContext).includes('update'));
      assert.equal(toServerView(row).updateAvailable, '3.1.0');

      // Update: the entry is rewritten to 3.1.0 with the same ${input:…}, and the hub restarts it.
      const written = await updateRemote(scope, inputs);
      assert.deepEqual(written.registry, { url: registry.url, name: 'io.github.acme/remote-http', version: '3.1.0' });
      assert.deepEqual(written.headers, { 'X-Api-Key': '${input:remote.header.X-Api-Key}' });
      const diff = await apply();
      assert.deepEqual(diff.changed, ['remote']);
      await waitFor(hub, 'remote', (s) => s.state.kind === 'running');
      assert.equal(hub.server('remote')!.updateAvailable, undefined, 'at the newest version: no Update');
      assert.ok(!logger.text().includes(API_KEY));
    } finally {
      await hub.dispose();
    }
  });

  it('writes nothing for hostile entries', async () => {
    const page = await client.list({ search: 'evil' });
    const problems = page.servers.flatMap((s) => installOptions(s).map((o) => [s.name, optionProblem(o, client.url)] as const));
    const refused = Object.fromEntries(problems.filter(([, p]) => p !== undefined));
    assert.match(refused['io.github.evil/flag'] ?? '', /package name is not one its registry allows/);
    assert.match(refused['io.github.evil/private'] ?? '', /link-local/);
    const variable = page.servers.find((s) => s.name === 'io.github.evil/variable')!;
    assert.equal(variable.packages.length, 0, 'its package with "${env:…}" is left out');
  });

  it('leaves settings and secret storage untouched when the registry fails, or when writing settings fails', async () => {
    const inputs = new InputStore(new MemorySecretStore());
    const scope = new MemoryScope({ keep: { url: 'https://keep.example/mcp' } });
    scope.failNextWrite = true;
    await assert.rejects(addRemote(scope, inputs, { 'header.X-Api-Key': 'never-stored-1234' }), /settings\.json could not be written/);
    assert.deepEqual(scope.servers, { keep: { url: 'https://keep.example/mcp' } });
    assert.equal(await inputs.get('remote.header.X-Api-Key'), undefined, 'the secret was taken back');

    // An update asks the registry first; a failing registry writes nothing.
    await addRemote(scope, inputs);
    const before = structuredClone(scope.servers);
    const writes = scope.writes;
    for (const failure of ['slow', 'garbage', 'huge', 'status500'] as const) {
      registry.failure = failure;
      await assert.rejects(
        updateRemote(scope, inputs, new RegistryClient(registry.url, { timeoutMs: 500 })),
        (e: unknown) => e instanceof RegistryError && e.message.startsWith(`The MCP registry ${new URL(registry.url).host}`),
        failure,
      );
    }
    registry.failure = 'none';
    assert.deepEqual(scope.servers, before);
    assert.equal(scope.writes, writes);

    // An entry edited away from what it was installed as is not "updated" into something else.
    const current: Record<string, unknown> = scope.read();
    scope.servers = { ...current, remote: { ...(current.remote as object), url: 'https://elsewhere.example/mcp' } };
    await assert.rejects(updateRemote(scope, inputs), (e: unknown) => e instanceof WriteRefused && /no longer runs what its installed version describes/.test(e.message));
  });
});

describe('chat.mcp.access "registry"', () => {
  let remote: HttpFixture;
  let registry: RegistryFixture;
  let hub: McpHub;
  const logger = new MemoryLogger();
  before(async () => {
    remote = await startHttpServer({ name: 'registry-remote' });
    registry = await startRegistry(catalog({ remoteUrl: remote.url }));
    hub = new McpHub({ logger, clock: systemClock, clientInfo: { name: 't', version: '0' }, retry: fastRetry, inputs: new InputStore(new MemorySecretStore()) });
  });
  after(async () => {
    await hub.dispose();
    await registry.close();
    await remote.close();
  });

  it('runs what the registry VS Code names describes, and refuses the rest with the rule', async () => {
    const provenance = { url: registry.url, name: 'io.github.acme/remote-http', version: '3.0.0' };
    const servers = {
      // Installed from the registry, header answered: runs.
      installed: { type: 'streamable-http', url: remote.url, headers: { 'X-Api-Key': '${input:k}' }, registry: provenance },
      // Hand-written, no provenance.
      plain: { url: remote.url },
      // Provenance written by hand onto another server.
      forged: { command: 'node', args: ['-e', 'evil()'], registry: { ...provenance, name: 'io.github.acme/weather', version: '1.1.0' } },
      // From another registry.
      elsewhere: { url: remote.url, registry: { ...provenance, url: 'https://other-registry.example' } },
      // A version the registry never had.
      unknown: { url: remote.url, registry: { ...provenance, version: '9.9.9' } },
    };
    await hub.applyConfig(parseServers(servers, 'user'), { trusted: true, policy: { access: 'registry', registryUrl: `${registry.url}/` } });
    await waitFor(hub, 'installed', (s) => s.state.kind === 'needsInput');
    const blocked = (name: string) => {
      const s = hub.server(name)!;
      assert.equal(s.state.kind, 'disabled');
      assert.equal(s.state.kind === 'disabled' && s.state.reason, 'policy');
      return toServerView(s).message ?? '';
    };
    const rule = /only servers installed from the MCP registry 127\.0\.0\.1:\d+ may run \(chat\.mcp\.access: registry\)/;
    assert.match(blocked('plain'), rule);
    assert.match(blocked('plain'), /this entry was not installed from a registry/);
    assert.match(blocked('forged'), /this entry does not run what io\.github\.acme\/weather 1\.1\.0 there describes/);
    assert.match(blocked('elsewhere'), /this entry comes from another registry \(other-registry\.example\)/);
    assert.match(blocked('unknown'), /it has no io\.github\.acme\/remote-http 9\.9\.9/);

    // The registry down: what it cannot confirm does not run; it is asked again a minute later, and then runs.
    registry.failure = 'status500';
    const clock = new FakeClock();
    const again = new McpHub({ logger, clock, clientInfo: { name: 't', version: '0' }, retry: fastRetry, inputs: new InputStore(new MemorySecretStore()) });
    try {
      await again.applyConfig(parseServers({ installed: servers.installed }, 'user'), { trusted: true, policy: { access: 'registry', registryUrl: registry.url } });
      const s = again.server('installed')!;
      assert.equal(s.state.kind, 'disabled');
      assert.match(toServerView(s).message ?? '', /could not confirm this entry: The MCP registry 127\.0\.0\.1:\d+ answered HTTP 500\./);
      registry.failure = 'none';
      clock.advance(REGISTRY_RECHECK_MS);
      await waitFor(again, 'installed', (x) => x.state.kind === 'needsInput');
    } finally {
      registry.failure = 'none';
      await again.dispose();
    }

    // With access "all" the same entries run as before.
    await hub.applyConfig(parseServers({ plain: servers.plain }, 'user'), { trusted: true, policy: { access: 'all' } });
    await waitFor(hub, 'plain', (s) => s.state.kind === 'running');
  });
});
