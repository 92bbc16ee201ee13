// VS Code's own MCP policies hold in MCP Hub: with chat.mcp.access "none" nothing runs, with
// "registry" only what the registry confirms, and allow and deny lists are met by what would really
// run. Tried the ways around it a person or a folder has: user and workspace entries, a workspace
// entry renamed beside a user one, a URL behind a variable, a direct start through the API, the
// gateway's list, and a "registry" provenance written by hand onto something else.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { mergeScopes, parseServers } from '../../src/core/config';
import { InMemoryConsentStore } from '../../src/core/consent';
import { McpHub } from '../../src/core/hub';
import type { EditorMcpPolicy } from '../../src/core/policy';
import { systemClock } from '../../src/core/ports';
import { fastRetry, MemoryLogger, stdioFixture, waitFor } from '../helpers';
import { server, startRegistry } from '../fixtures/registry';

const dir = mkdtempSync(join(tmpdir(), 'mcp-hub-policy-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const spawnLog = join(dir, 'spawns.log');
const spawns = () => (existsSync(spawnLog) ? readFileSync(spawnLog, 'utf8').trim().split('\n').filter(Boolean).length : 0);

let attempts = 0;
let ran = 0;

function newHub(): McpHub {
  const consent = new InMemoryConsentStore();
  return new McpHub({
    logger: new MemoryLogger(),
    clock: systemClock,
    clientInfo: { name: 'mcp-hub-tests', version: '0.0.0' },
    retry: fastRetry,
    consent,
    env: { ...process.env, TARGET_HOST: 'leaky.example' },
  });
}

const stdio = (name: string) => ({ command: process.execPath, args: [stdioFixture], env: { FIXTURE_SPAWN_LOG: spawnLog, FIXTURE_NAME: name } });
const settings = () =>
  mergeScopes(
    parseServers({ mine: stdio('mine'), remote: { url: 'https://${env:TARGET_HOST}/mcp' } }, 'user'),
    parseServers({ mine: stdio('theirs'), extra: stdio('extra') }, 'workspace'),
  );
const options = (policy: EditorMcpPolicy) => ({ trusted: true, workspaceFolder: dir, policy });

describe("VS Code's MCP policies hold in MCP Hub", () => {
  after(() => console.log(`security[editor-policy]: attempts to get around the policy ${attempts}, servers run against it ${ran}`));

  for (const access of ['none', 'registry'] as const) {
    it(`chat.mcp.access "${access}": no entry from any settings scope runs, not even when started directly`, async () => {
      const h = newHub();
      const before = spawns();
      try {
        await h.applyConfig(settings(), options({ access }));
        for (const s of h.servers()) {
          attempts++;
          assert.ok(s.state.kind === 'disabled' && s.state.reason === 'policy', `${s.name}: ${JSON.stringify(s.state)}`);
          assert.match(s.state.message ?? '', new RegExp(`chat\\.mcp\\.access: ${access}`));
          assert.equal(s.consent, undefined, 'nothing is asked about a server the policy refuses');
        }
        assert.deepEqual(
          h.servers().map((s) => s.name),
          ['mine', 'remote', 'mine (workspace)', 'extra'],
        );
        for (const name of ['mine', 'extra']) {
          attempts++;
          await assert.rejects(h.start(name), /blocked by policy/);
          await assert.rejects(h.callTool(name, 'echo', { text: 'x' }), /blocked by policy/);
        }
        await new Promise((r) => setTimeout(r, 300));
        ran += spawns() - before;
        assert.equal(spawns(), before, 'no process was started');
      } finally {
        await h.dispose();
      }
    });
  }

  it('chat.mcp.access "registry": provenance written by hand runs nothing the registry does not describe', async () => {
    // The registry lists a stdio server (the fixture, as a published package would be run) and a remote.
    const registry = await startRegistry([
      { server: server('io.github.acme/fixture', '1.0.0', { packages: [{ registryType: 'npm', identifier: 'fixture-mcp', version: '1.0.0', transport: { type: 'stdio' } }] }) },
      { server: server('io.github.acme/remote', '1.0.0', { remotes: [{ type: 'streamable-http', url: 'https://remote.example/mcp' }] }) },
    ]);
    const h = newHub();
    const before = spawns();
    const from = (name: string) => ({ url: registry.url, name, version: '1.0.0' });
    const fixture = { command: 'npx', args: ['-y', 'fixture-mcp@1.0.0'], registry: from('io.github.acme/fixture') };
    try {
      const tries: Record<string, unknown> = {
        // Another program under a registry server's name and version.
        'other-command': { ...stdio('other-command'), registry: from('io.github.acme/fixture') },
        // The registry's command line, plus what would make it run something else.
        'extra-env': { ...fixture, env: { NODE_OPTIONS: `--require ${stdioFixture}` } },
        'extra-argument': { ...fixture, args: [...fixture.args, '--inspect'] },
        'working-directory': { ...fixture, cwd: dir },
        'other-package': { ...fixture, args: ['-y', 'evil-mcp@1.0.0'] },
        // A remote's provenance on another URL; the registry's URL spelled differently but another path.
        'other-url': { url: 'https://evil.example/mcp', registry: from('io.github.acme/remote') },
        'other-registry': { url: 'https://remote.example/mcp', registry: { ...from('io.github.acme/remote'), url: `${registry.url}/elsewhere` } },
        'unknown-version': { url: 'https://remote.example/mcp', registry: { ...from('io.github.acme/remote'), version: '2.0.0' } },
      };
      const workspace = { 'from-workspace': { ...stdio('from-workspace'), registry: from('io.github.acme/fixture') } };
      await h.applyConfig(mergeScopes(parseServers(tries, 'user'), parseServers(workspace, 'workspace')), options({ access: 'registry', registryUrl: registry.url.toUpperCase() }));
      for (const name of [...Object.keys(tries), ...Object.keys(workspace)]) {
        attempts++;
        const s = h.server(name)!;
        assert.ok(s.state.kind === 'disabled' && s.state.reason === 'policy', `${name}: ${JSON.stringify(s.state)}`);
        assert.match(s.state.message ?? '', /chat\.mcp\.access: registry/);
        await assert.rejects(h.start(name), /blocked by policy/);
      }
      await new Promise((r) => setTimeout(r, 300));
      ran += spawns() - before;
      assert.equal(spawns(), before, 'no process was started');
    } finally {
      await h.dispose();
      await registry.close();
    }
  });

  it('deny and allow lists meet what would run: the URL with its variables filled in, the command line, the name of a renamed entry', async () => {
    const h = newHub();
    const before = spawns();
    try {
      await h.applyConfig(
        settings(),
        options({
          access: 'all',
          denied: [{ serverUrl: 'https://leaky.example/*' }, { serverName: 'mine' }],
          allowed: [{ serverName: 'mine' }, { serverName: 'remote' }, { serverCommand: [process.execPath, stdioFixture] }],
        }),
      );
      attempts += 4;
      const state = (name: string) => h.server(name)!.state;
      assert.ok(state('remote').kind === 'disabled' && /deny list .*serverUrl/.test((state('remote') as { message?: string }).message ?? ''), 'a URL behind ${env:…}');
      assert.ok(state('mine').kind === 'disabled' && /deny list .*serverName mine/.test((state('mine') as { message?: string }).message ?? ''));
      assert.ok(
        state('mine (workspace)').kind === 'disabled' && /deny list .*serverName mine/.test((state('mine (workspace)') as { message?: string }).message ?? ''),
        'the renamed workspace entry is still "mine"',
      );
      // "extra" runs the allowed command line, but its env makes no difference to the policy: it waits for the person's yes, as any workspace server.
      assert.ok(state('extra').kind === 'disabled' && (state('extra') as { reason: string }).reason === 'approval');
      await h.decide('extra', 'approved');
      await waitFor(h, 'extra', (s) => s.state.kind === 'running', 15_000);
      await new Promise((r) => setTimeout(r, 300));
      ran += spawns() - before - 1;
      assert.equal(spawns(), before + 1, 'only the allowed server ran');
    } finally {
      await h.dispose();
    }
  });
});
