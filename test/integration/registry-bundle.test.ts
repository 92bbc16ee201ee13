// MCP bundles (registryType "mcpb") from a registry: downloaded, checked against fileSha256 before
// anything is unpacked, unpacked into a folder of their own, and run as their manifest says, with a
// sensitive user_config value kept in secret storage; broken and hostile bundles unpack nothing.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseServers } from '../../src/core/config';
import { McpHub } from '../../src/core/hub';
import { InputStore, USER_INPUTS } from '../../src/core/inputs';
import { MemorySecretStore } from '../../src/core/oauth/token-store';
import { systemClock } from '../../src/core/ports';
import { RegistryClient } from '../../src/core/registry/client';
import { InstallError, installOptions, optionProblem, type InstallOption } from '../../src/core/registry/install';
import { bundleShapes, BundleStore } from '../../src/core/registry/mcpb';
import type { PackageSpec, RegistryServer } from '../../src/core/registry/model';
import { RegistryVerifier } from '../../src/core/registry/verify';
import { addServerEntry, type ServersScope } from '../../src/core/registry/writes';
import { catalog, server, sha256, startRegistry, type RegistryFixture } from '../fixtures/registry';
import { zip } from '../fixtures/zip';
import { fastRetry, MemoryLogger, stdioFixture, waitFor } from '../helpers';

const SECRET = 'bundle-api-key-2468ac';

/** A bundle whose server is the stdio fixture, needing a sensitive API key from user_config. */
function bundle(extra: Array<{ name: string; data: string; mode?: number; claimedSize?: number }> = []): Buffer {
  const manifest = {
    manifest_version: '0.3',
    name: 'fixture-bundle',
    version: '1.0.2',
    description: 'A bundle',
    author: { name: 'Acme' },
    server: {
      type: 'node',
      entry_point: 'server/index.mjs',
      mcp_config: { command: process.execPath, args: ['${__dirname}/server/index.mjs'], env: { FIXTURE_NAME: 'bundle', API_KEY: '${user_config.api_key}' } },
    },
    user_config: { api_key: { type: 'string', title: 'API key', description: 'Your <b>key</b> [here](command:x)', sensitive: true, required: true } },
  };
  return zip([
    { name: 'manifest.json', data: JSON.stringify(manifest) },
    { name: 'server/', data: '', mode: 0o40755 },
    { name: 'server/index.mjs', data: `import ${JSON.stringify(stdioFixture)};\n` },
    ...extra,
  ]);
}

describe('MCP bundles from a registry', () => {
  let registry: RegistryFixture;
  let dir: string;
  const good = bundle();
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-hub-bundles-'));
    registry = await startRegistry([]);
    registry.files.set('good.mcpb', good);
    for (const e of catalog({ bundle: { path: `${registry.url}/files/good.mcpb`, sha256: sha256(good) } })) registry.publish(e);
  });
  after(async () => {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const bundleOption = async (): Promise<{ server: RegistryServer; option: InstallOption; pkg: PackageSpec }> => {
    const s = (await new RegistryClient(registry.url).list({ search: 'acme/bundle' })).servers[0];
    const option = installOptions(s)[0];
    assert.ok(option.kind === 'package' && option.package.registryType === 'mcpb');
    return { server: s, option, pkg: option.package };
  };

  it('downloads, checks and unpacks a bundle, asks for its sensitive setting, and runs it', async () => {
    const store = new BundleStore(join(dir, 'store'));
    const { server: found, option } = await bundleOption();
    assert.equal(optionProblem(option, registry.url), undefined);
    const unpacked: string[] = [];
    const shape = await bundleShapes(store, { registryUrl: registry.url, unpacked: (sha) => unpacked.push(sha) })(found, option);
    assert.deepEqual(unpacked, [sha256(good)]);
    assert.deepEqual(
      shape.questions.map((q) => [q.id, q.label, q.required, q.secret]),
      [['config.api_key', 'API key (setting)', true, true]],
    );
    assert.ok(!shape.questions[0].spec.description?.includes('](command:'), 'the manifest is untrusted text too');

    const inputs = new InputStore(new MemorySecretStore());
    let servers: Record<string, unknown> = {};
    const scope: ServersScope = { read: () => servers, write: async (next) => void (servers = next) };
    const entry = await addServerEntry({
      scope,
      inputs,
      inputScope: USER_INPUTS,
      key: 'bundle',
      shape,
      answers: { 'config.api_key': SECRET },
      provenance: { url: registry.url, name: found.name, version: found.version },
    });
    const folder = join(dir, 'store', sha256(good));
    assert.deepEqual(entry, {
      command: process.execPath,
      args: [`${folder}/server/index.mjs`],
      env: { FIXTURE_NAME: 'bundle', API_KEY: '${input:bundle.config.api_key}' },
      cwd: folder,
      registry: { url: registry.url, name: 'io.github.acme/bundle', version: '1.0.2' },
    });

    // It runs; and where only registry servers may run, the registry and the unpacked bundle confirm it.
    const hub = new McpHub({
      logger: new MemoryLogger(),
      clock: systemClock,
      clientInfo: { name: 't', version: '0' },
      retry: fastRetry,
      inputs,
      registryVerifier: new RegistryVerifier({ client: (url) => new RegistryClient(url), shapes: bundleShapes(store) }),
    });
    try {
      await hub.applyConfig(parseServers(servers, 'user'), { trusted: true, policy: { access: 'registry', registryUrl: registry.url } });
      await waitFor(hub, 'bundle', (s) => s.state.kind === 'running', 20_000);
      const whoami = await hub.callTool('bundle', 'whoami');
      assert.match((whoami.content[0] as { text: string }).text, /bundle/);
    } finally {
      await hub.dispose();
    }

    // A second install of the same bundle uses what is unpacked: no download, nothing unpacked again.
    const downloads = registry.requests.filter((r) => r.startsWith('/files/')).length;
    unpacked.length = 0;
    await bundleShapes(store, { registryUrl: registry.url, unpacked: (sha) => unpacked.push(sha) })(found, option);
    assert.equal(registry.requests.filter((r) => r.startsWith('/files/')).length, downloads);
    assert.deepEqual(unpacked, []);
  });

  it('removes a bundle once an update leaves no entry running it, and only then', async () => {
    const store = new BundleStore(join(dir, 'uses'));
    const { server: found, pkg } = await bundleOption();
    const next = bundle([{ name: 'CHANGELOG.md', data: '1.0.3' }]);
    registry.files.set('next.mcpb', next);
    const install = (sha: string, path: string) => store.install({ ...pkg, identifier: `${registry.url}/files/${path}`, fileSha256: sha }, registry.url);
    const old = await install(sha256(good), 'good.mcpb');
    const newer = await install(sha256(next), 'next.mcpb');
    assert.ok(old.kind === 'stdio' && newer.kind === 'stdio');
    const entryFor = (sha: string) => ({ command: process.execPath, args: [`${store.folder(sha)}/server/index.mjs`], cwd: store.folder(sha), registry: { name: found.name } });
    assert.deepEqual(store.bundlesIn(entryFor(sha256(good))), [sha256(good)]);
    assert.deepEqual(store.bundlesIn({ command: 'npx', args: [join(dir, 'elsewhere', sha256(good))] }), [], "another folder's hash is not this store's");

    // Two entries (user settings and a workspace's) run the old bundle: its folder stays until both moved on.
    assert.deepEqual(await store.settleUses('user/a', undefined, entryFor(sha256(good))), []);
    assert.deepEqual(await store.settleUses('workspace:w1/a', undefined, entryFor(sha256(good))), []);
    assert.deepEqual(await store.settleUses('user/a', entryFor(sha256(good)), entryFor(sha256(next))), []);
    assert.ok(existsSync(store.folder(sha256(good))), 'the workspace entry still runs it');
    assert.deepEqual(await store.settleUses('workspace:w1/a', entryFor(sha256(good)), entryFor(sha256(next))), [sha256(good)]);
    assert.ok(!existsSync(store.folder(sha256(good))), 'no entry runs it any more');
    assert.ok(existsSync(store.folder(sha256(next))));

    // A bundle unpacked before uses were recorded is never removed: an unseen workspace may run it.
    await install(sha256(good), 'good.mcpb');
    assert.deepEqual(await store.settleUses('user/b', entryFor(sha256(good)), entryFor(sha256(next))), []);
    assert.ok(existsSync(store.folder(sha256(good))));
  });

  it('unpacks nothing from a bundle whose hash differs, a link, a path outside its folder, or a file larger than it says', async () => {
    const cases: Array<[string, Buffer, RegExp]> = [
      ['tampered.mcpb', Buffer.concat([good, Buffer.from('x')]), /SHA-256 is not the one the registry lists/],
      ['link.mcpb', bundle([{ name: 'server/escape', data: '/etc/passwd', mode: 0o120777 }]), /symbolic link/],
      ['slip.mcpb', bundle([{ name: '../../escaped.txt', data: 'x' }]), /file name or size MCP Hub does not unpack/],
      ['not-a-zip.mcpb', Buffer.from('MZ this is not a zip'), /not a zip file/],
      ['liar.mcpb', zip([{ name: 'manifest.json', data: 'x'.repeat(100_000), claimedSize: 10 }]), /larger than it says|could not be unpacked/],
    ];
    for (const [file, data, reason] of cases) {
      // The registry lists the hash of the good bundle for the tampered one, and the real hash of the others.
      const listed = file === 'tampered.mcpb' ? sha256(good) : sha256(data);
      registry.files.set(file, data);
      registry.publish({
        server: server(`io.github.evil/${file.replace('.mcpb', '')}`, '1.0.0', {
          packages: [{ registryType: 'mcpb', identifier: `${registry.url}/files/${file}`, fileSha256: listed, transport: { type: 'stdio' } }],
        }),
      });
      const s = (await new RegistryClient(registry.url).list({ search: `evil/${file.replace('.mcpb', '')}` })).servers[0];
      const store = new BundleStore(join(dir, `hostile-${file}`));
      await assert.rejects(bundleShapes(store, { registryUrl: registry.url })(s, installOptions(s)[0]), (e: unknown) => e instanceof InstallError && reason.test(e.message), file);
      const left = existsSync(store.dir) ? readdirSync(store.dir) : [];
      assert.deepEqual(left, [], `${file}: nothing is left unpacked`);
    }
    assert.ok(!existsSync(join(dir, 'escaped.txt')) && !existsSync(join(tmpdir(), 'escaped.txt')));
  });

  it('refuses a bundle without a hash, or from a private address, before downloading it', async () => {
    const s = (pkg: { identifier: string; fileSha256?: string }): InstallOption => ({
      kind: 'package',
      package: { registryType: 'mcpb', runtimeArguments: [], packageArguments: [], environmentVariables: [], ...pkg },
    });
    assert.match(optionProblem(s({ identifier: 'https://github.com/a/b/releases/download/v1/b.mcpb' }), 'https://registry.example') ?? '', /no fileSha256/);
    assert.match(optionProblem(s({ identifier: 'https://10.0.0.5/b.mcpb', fileSha256: 'a'.repeat(64) }), 'https://registry.example') ?? '', /private address/);
    assert.match(optionProblem(s({ identifier: 'http://github.com/b.mcpb', fileSha256: 'a'.repeat(64) }), 'https://registry.example') ?? '', /must use https/);
  });
});
