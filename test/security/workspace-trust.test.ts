// An untrusted folder ships programs where tools look for them (node_modules/.bin, .npmrc, a
// relative path): a user-level server must run nothing from it, and ${workspaceFolder} waits for
// trust. Each case also runs the trap directly in the folder, to prove the trap is real.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { McpHub } from '../../src/core/hub';
import { InputStore } from '../../src/core/inputs';
import { MemorySecretStore } from '../../src/core/oauth/token-store';
import { systemClock } from '../../src/core/ports';
import { entries, fastRetry, MemoryLogger, stdioFixture, waitFor } from '../helpers';

const base = mkdtempSync(join(tmpdir(), 'mcp-hub-trust-'));
const home = join(base, 'home');
const folder = join(base, 'cloned-repo');
const marker = join(base, 'TRAP-RAN');
mkdirSync(home);
mkdirSync(join(folder, 'node_modules', '.bin'), { recursive: true });
for (const bin of ['evil-server', 'npx', 'node']) {
  const path = join(folder, 'node_modules', '.bin', bin);
  writeFileSync(path, `#!/bin/sh\necho ran >> "${marker}"\n`);
  chmodSync(path, 0o755);
}
writeFileSync(join(folder, 'server.sh'), `#!/bin/sh\necho ran >> "${marker}"\n`);
chmodSync(join(folder, 'server.sh'), 0o755);
// npm reads .npmrc from the folder it runs in: a script-shell there would run on any npm exec.
writeFileSync(join(folder, '.npmrc'), `script-shell=${join(folder, 'node_modules', '.bin', 'evil-server')}\n`);
after(() => rmSync(base, { recursive: true, force: true }));

let hostile = 0;
let ran = 0;

function hub(logger = new MemoryLogger()) {
  return new McpHub({
    logger,
    clock: systemClock,
    clientInfo: { name: 'mcp-hub-tests', version: '0.0.0' },
    retry: fastRetry,
    userHome: home,
    inputs: new InputStore(new MemorySecretStore()),
  });
}

const settled = (h: McpHub, name: string) => waitFor(h, name, (s) => s.state.kind !== 'starting', 30_000);

describe('an untrusted folder runs nothing', () => {
  it('the trap is real: npx in the folder runs its node_modules/.bin', () => {
    rmSync(marker, { force: true });
    spawnSync('npx', ['--no', '--', 'evil-server'], { cwd: folder, env: { ...process.env, npm_config_offline: 'true' }, timeout: 60_000 });
    assert.ok(existsSync(marker), 'npx in the folder should have run the folder copy');
    rmSync(marker, { force: true });
  });

  const cases: Array<[string, Record<string, unknown>]> = [
    ['a user-level npx server', { command: 'npx', args: ['--no', '--', 'evil-server'], env: { npm_config_offline: 'true' } }],
    ['a user-level relative command', { command: './server.sh' }],
    ['a user-level node_modules/.bin command', { command: 'node_modules/.bin/evil-server' }],
    ['a user-level relative cwd', { command: 'npx', args: ['--no', '--', 'evil-server'], cwd: '.', env: { npm_config_offline: 'true' } }],
  ];
  for (const [what, entry] of cases) {
    it(`${what} starts in the home folder, not the untrusted folder`, async () => {
      hostile++;
      const h = hub();
      try {
        await h.applyConfig(entries({ s: entry }), { trusted: false, workspaceFolder: folder });
        await settled(h, 's');
        await h.stop('s').catch(() => undefined);
        if (existsSync(marker)) ran++;
        assert.ok(!existsSync(marker), `${what} ran a program from the untrusted folder`);
      } finally {
        await h.dispose();
        rmSync(marker, { force: true });
      }
    });
  }

  it('a stdio server without cwd gets the home folder as cwd and PWD', async () => {
    const h = hub();
    try {
      await h.applyConfig(entries({ s: { command: process.execPath, args: [stdioFixture] } }), { trusted: false, workspaceFolder: folder });
      const s = await waitFor(h, 's', (x) => x.state.kind === 'running', 15_000);
      assert.equal(s.state.kind, 'running');
      const r = await h.callTool('s', 'whoami');
      assert.match((r.content[0] as { text: string }).text, /pid=\d+/);
    } finally {
      await h.dispose();
    }
  });

  it('${workspaceFolder} in a user entry waits for trust, then starts with the folder', async () => {
    hostile++;
    const h = hub();
    try {
      const settings = entries({ fs: { command: process.execPath, args: [stdioFixture, '${workspaceFolder}'] } });
      await h.applyConfig(settings, { trusted: false, workspaceFolder: folder });
      const waiting = h.server('fs')!;
      assert.equal(waiting.state.kind, 'disabled');
      assert.ok(waiting.state.kind === 'disabled' && waiting.state.reason === 'untrusted');
      assert.match(waiting.state.kind === 'disabled' ? (waiting.state.message ?? '') : '', /trust/i);
      const diff = await h.applyConfig(settings, { trusted: true, workspaceFolder: folder });
      assert.deepEqual(diff.changed, ['fs']);
      await waitFor(h, 'fs', (x) => x.state.kind === 'running', 15_000);
    } finally {
      await h.dispose();
    }
  });

  it('granting trust restarts only what it affects', async () => {
    const h = hub();
    try {
      const settings = [
        ...entries({ plain: { command: process.execPath, args: [stdioFixture] } }),
        ...entries({ shared: { command: process.execPath, args: [stdioFixture] } }, 'workspace'),
      ];
      await h.applyConfig(settings, { trusted: false, workspaceFolder: folder });
      assert.equal(h.server('shared')!.state.kind, 'disabled');
      await waitFor(h, 'plain', (x) => x.state.kind === 'running', 15_000);
      const diff = await h.applyConfig(settings, { trusted: true, workspaceFolder: folder });
      assert.deepEqual(diff.unchanged, ['plain']);
      assert.deepEqual(diff.changed, ['shared']);
      await h.decide('shared', 'approved');
      await waitFor(h, 'shared', (x) => x.state.kind === 'running', 15_000);
    } finally {
      await h.dispose();
    }
  });

  it('a workspace entry with an inline client secret is refused with a clear error, even when trusted', async () => {
    hostile++;
    const h = hub();
    try {
      const secret = 'workspace-committed-secret-123';
      await h.applyConfig(entries({ remote: { url: 'https://mcp.example.com/mcp', auth: { clientId: 'c', clientSecret: secret } } }, 'workspace'), {
        trusted: true,
        workspaceFolder: folder,
      });
      const s = h.server('remote')!;
      assert.ok(s.state.kind === 'error');
      assert.match(s.state.message, /auth\.clientSecret: a secret cannot be written in workspace settings/);
      assert.ok(!s.state.message.includes(secret));
    } finally {
      await h.dispose();
    }
  });

  after(() => console.log(`security[workspace-trust]: untrusted-folder traps ${hostile} hostile inputs, programs run from the folder ${ran}`));
});
