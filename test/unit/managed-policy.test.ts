// The organisation's policy file: read strictly (a problem names the field, never its value), trusted
// only when root (here: the test's own user) owns it and its folder and no one else can write them,
// absent when there is no file, watched for changes; and the VS Code policy channel beside it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  combineChannels,
  managedPolicyPath,
  MANAGED_POLICY_PATHS,
  parseManagedPolicy,
  policyFromVSCode,
  readPolicyFile,
  watchPolicyFile,
  type OrganisationPolicy,
} from '../../src/core/managed-policy';

const root = mkdtempSync(join(tmpdir(), 'mcp-hub-managed-'));
after(() => rmSync(root, { recursive: true, force: true }));
const me = process.getuid!();
let n = 0;

/** A policy folder of its own (mode 0755) with policy.json holding `text` (mode 0644), unless text is undefined. */
function policyAt(text?: string): string {
  const folder = join(root, `p${++n}`, 'mcp-hub');
  mkdirSync(folder, { recursive: true, mode: 0o755 });
  chmodSync(folder, 0o755);
  const path = join(folder, 'policy.json');
  if (text !== undefined) {
    writeFileSync(path, text);
    chmodSync(path, 0o644);
  }
  return path;
}

const problem = (p: OrganisationPolicy) => (p.kind === 'broken' ? p.problem : assert.fail(`expected a broken policy, got ${p.kind}`));
const parsed = (p: OrganisationPolicy) => (p.kind === 'ok' ? p.policy : assert.fail(`expected a policy, got ${JSON.stringify(p)}`));
const parse = (value: unknown) => parseManagedPolicy(JSON.stringify(value), '/etc/mcp-hub/policy.json');

describe('the organisation policy, validated strictly', () => {
  it('reads every field: servers with their availability and tools, userServers, registries, allow patterns, gateway', () => {
    const p = parsed(
      parse({
        $schema: 'https://example.com/policy.schema.json',
        version: 1,
        organization: 'Acme Corp',
        servers: {
          wiki: { url: 'https://mcp.acme.example/wiki', availability: 'required', tools: { deny: ['delete_*'] }, auth: { enterprise: true, clientId: 'mcp-hub' } },
          files: { command: 'npx', args: ['-y', '@acme/files'], availability: 'optional' },
        },
        userServers: 'registry',
        allowedRegistries: ['https://registry.acme.example/'],
        allow: { urls: ['https://*.acme.example/*'], commands: [['npx', '-y', '@acme/*']] },
        gateway: 'vscode',
      }),
    );
    assert.equal(p.organization, 'Acme Corp');
    assert.equal(p.userServers, 'registry');
    assert.deepEqual(p.allowedRegistries, ['https://registry.acme.example/']);
    assert.deepEqual(p.allow, { urls: ['https://*.acme.example/*'], commands: [['npx', '-y', '@acme/*']] });
    assert.equal(p.gateway, 'vscode');
    const [wiki, files] = p.servers;
    assert.equal(wiki.availability, 'required');
    assert.equal(wiki.config.source, 'managed');
    assert.deepEqual(wiki.config.managed, { availability: 'required', by: 'Acme Corp', tools: { deny: ['delete_*'], allow: undefined } });
    assert.equal(wiki.config.auth?.enterprise, true);
    assert.equal(files.config.type, 'stdio');
    assert.equal(files.availability, 'optional');
  });

  it('defaults: any server of the person may run, the gateway runs, "your organisation" manages', () => {
    const p = parsed(parse({}));
    assert.deepEqual(p, { organization: 'your organisation', servers: [], userServers: 'all', allowedRegistries: [], gateway: 'on' });
  });

  const cases: Array<[string, unknown, RegExp]> = [
    ['not an object', [1, 2], /^must be a JSON object$/],
    ['an unknown field', { userServer: 'none' }, /^userServer: is not a field of the policy/],
    ['a version it does not know', { version: 2 }, /^version: must be 1$/],
    ['organization of the wrong type', { organization: 7 }, /^organization: must be a non-empty string$/],
    ['organization with control characters', { organization: 'Acme\u0007' }, /^organization: must not contain control characters$/],
    ['servers as an array', { servers: [] }, /^servers: must be an object keyed by server name$/],
    ['a server without availability', { servers: { wiki: { url: 'https://x.example/mcp' } } }, /^servers\.wiki\.availability: is required/],
    [
      'an availability it does not know',
      { servers: { wiki: { url: 'https://x.example/mcp', availability: 'always' } } },
      /^servers\.wiki\.availability: must be "required", "default" or "optional"$/,
    ],
    [
      '"disabled" in a managed server',
      { servers: { wiki: { url: 'https://x.example/mcp', availability: 'default', disabled: true } } },
      /^servers\.wiki\.disabled: is not used in a policy/,
    ],
    [
      'an unknown server field',
      { servers: { wiki: { url: 'https://x.example/mcp', availability: 'default', alwaysAllow: [] } } },
      /^servers\.wiki\.alwaysAllow: is not a field of a managed server/,
    ],
    ['a server field of the wrong type', { servers: { wiki: { url: 5, availability: 'default' } } }, /^servers\.wiki\.url: must be a non-empty string$/],
    [
      'a bad tool list',
      { servers: { wiki: { url: 'https://x.example/mcp', availability: 'default', tools: { deny: 'delete_*' } } } },
      /^servers\.wiki\.tools\.deny: must be an array of strings$/,
    ],
    ['userServers it does not know', { userServers: 'some' }, /^userServers: must be "all", "registry" or "none"$/],
    ['registry mode without registries', { userServers: 'registry' }, /^allowedRegistries: must list at least one registry URL/],
    ['registries without registry mode', { allowedRegistries: ['https://r.example'] }, /^allowedRegistries: is used only with "userServers": "registry"$/],
    ['a registry that is not a URL', { userServers: 'registry', allowedRegistries: ['registry.example'] }, /^allowedRegistries\[0\]: must be an http\(s\) URL$/],
    ['allow with nothing to allow', { userServers: 'none', allow: { urls: [] } }, /^allow: has nothing to allow/],
    ['allow.urls not a list', { allow: { urls: 'https://x' } }, /^allow\.urls: must be an array of URL patterns/],
    ['an allow.urls entry that is no URL pattern', { allow: { urls: ['*.acme.example'] } }, /^allow\.urls\[0\]: must be an http\(s\) URL pattern/],
    ['an allow.commands entry as a string', { allow: { commands: ['npx -y @acme/x'] } }, /^allow\.commands\[0\]: must be a command line as an array/],
    ['an unknown allow field', { allow: { hosts: [] } }, /^allow\.hosts: is not a field of allow/],
    ['gateway it does not know', { gateway: 'local' }, /^gateway: must be "on", "off" or "vscode"$/],
  ];
  for (const [what, value, expected] of cases) {
    it(`is broken by ${what}, naming the field`, () => assert.match(problem(parse(value)), expected));
  }

  it('never repeats a value in a problem (it could be a secret)', () => {
    const secret = 'sk-live-0123456789abcdef';
    for (const value of [{ userServers: secret }, { gateway: secret }, { organization: 5, servers: { x: { url: secret, availability: 'default' } } }, { [secret]: 1 }]) {
      const text = problem(parse(value));
      assert.ok(!text.includes(secret) || text.startsWith(secret), text);
    }
    // Not JSON: where it broke, not what it says.
    const text = problem(parseManagedPolicy(`{"servers": {"a": {"headers": {"Authorization": "Bearer ${secret}"}}},}`, 'p'));
    assert.match(text, /^is not valid JSON \(line 1, column \d+\)$/);
    assert.ok(!text.includes(secret));
    assert.match(problem(parseManagedPolicy('', 'p')), /^is not valid JSON/);
    assert.match(problem(parseManagedPolicy(`{"a": ${secret}}`, 'p')), /^is not valid JSON$/);
  });

  it('refuses a secret written in the policy (everyone on the machine can read it)', () => {
    const p = parse({ servers: { crm: { url: 'https://crm.example/mcp', availability: 'default', auth: { clientId: 'c', clientSecret: 'the-secret' } } } });
    assert.match(problem(p), /^servers\.crm\.auth\.clientSecret: a secret cannot be written in the policy; use "\$\{input:NAME\}"/);
    assert.ok(!problem(p).includes('the-secret'));
    parsed(parse({ servers: { crm: { url: 'https://crm.example/mcp', availability: 'default', auth: { clientId: 'c', clientSecret: '${input:crm-secret}' } } } }));
  });
});

describe('the policy file', () => {
  it('has one fixed path per OS', () => {
    assert.equal(managedPolicyPath('linux'), '/etc/mcp-hub/policy.json');
    assert.equal(managedPolicyPath('darwin'), '/Library/Application Support/MCP Hub/policy.json');
    assert.equal(managedPolicyPath('win32'), 'C:\\ProgramData\\MCP Hub\\policy.json');
    assert.equal(managedPolicyPath('freebsd'), MANAGED_POLICY_PATHS.linux);
  });

  it('missing (or its folder missing) is no policy', async () => {
    assert.deepEqual(await readPolicyFile({ path: join(root, 'nowhere', 'mcp-hub', 'policy.json'), owner: me }), { kind: 'none' });
    assert.deepEqual(await readPolicyFile({ path: policyAt(), owner: me }), { kind: 'none' });
  });

  it('is read when its owner is the one expected and no one else can write it or its folder', async () => {
    const path = policyAt(JSON.stringify({ organization: 'Acme', userServers: 'none' }));
    const p = await readPolicyFile({ path, owner: me });
    assert.equal(p.kind === 'ok' && p.origin, path);
    assert.equal(parsed(p).userServers, 'none');
  });

  it('is broken, naming the file, when it is not JSON', async () => {
    const path = policyAt('{ "userServers": "none", }');
    const p = await readPolicyFile({ path, owner: me });
    assert.equal(p.kind === 'broken' && p.origin, path);
    assert.match(problem(p), /^is not valid JSON \(line 1, column \d+\)$/);
  });

  it('is broken when someone else owns it, or others can write it or its folder: a file the person can edit is no policy', async () => {
    const other = me + 1;
    assert.match(problem(await readPolicyFile({ path: policyAt('{}'), owner: other })), new RegExp(`folder .* must be owned by uid ${other} \\(it is owned by uid ${me}\\)`));
    const writable = policyAt('{}');
    chmodSync(writable, 0o666);
    assert.match(problem(await readPolicyFile({ path: writable, owner: me })), /^must be writable by (root|uid \d+) only \(its mode is 0666\)$/);
    const groupWritable = policyAt('{}');
    chmodSync(groupWritable, 0o664);
    assert.match(problem(await readPolicyFile({ path: groupWritable, owner: me })), /its mode is 0664/);
    const openFolder = policyAt('{}');
    chmodSync(join(openFolder, '..'), 0o777);
    assert.match(problem(await readPolicyFile({ path: openFolder, owner: me })), /^its folder .* must be writable by .* only \(its mode is 0777\)$/);
    // An open folder is a problem even with no file in it: anyone could have removed the policy.
    const emptyOpen = policyAt();
    chmodSync(join(emptyOpen, '..'), 0o777);
    assert.equal((await readPolicyFile({ path: emptyOpen, owner: me })).kind, 'broken');
    // Where ownership is not checked (Windows), the same file is read.
    assert.equal((await readPolicyFile({ path: writable })).kind, 'ok');
  });

  it('is broken when it is not a file, its folder is not a folder, or it is too large; a FIFO does not hang it', async () => {
    const dir = policyAt();
    mkdirSync(dir);
    assert.equal(problem(await readPolicyFile({ path: dir, owner: me })), 'is not a file');
    const notFolder = join(root, `p${++n}`);
    writeFileSync(notFolder, '');
    assert.match(problem(await readPolicyFile({ path: join(notFolder, 'policy.json'), owner: me })), /its folder .* is not a folder/);
    const big = policyAt(JSON.stringify({ organization: 'x'.repeat(1024 * 1024) }));
    assert.match(problem(await readPolicyFile({ path: big, owner: me })), /^is larger than 1024 KB$/);
    const fifo = policyAt();
    execFileSync('mkfifo', ['-m', '0644', fifo]);
    assert.equal(problem(await readPolicyFile({ path: fifo, owner: me })), 'is not a file');
  });

  it('is broken when it cannot be read', async () => {
    const path = policyAt('{}');
    chmodSync(path, 0o000);
    if (me !== 0) {
      assert.equal(problem(await readPolicyFile({ path, owner: me })), 'cannot be read (EACCES)');
      return;
    }
    // Root reads any file: the read happens in a process of an unprivileged user (nobody), as a person's editor would.
    chmodSync(root, 0o755);
    const script = `require('./src/core/managed-policy').readPolicyFile({ path: ${JSON.stringify(path)}, owner: 0 }).then((p) => process.stdout.write(JSON.stringify(p)))`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: join(__dirname, '../..'), uid: 65534, gid: 65534, encoding: 'utf8' });
    assert.equal(problem(JSON.parse(out) as OrganisationPolicy), 'cannot be read (EACCES)');
  });

  it('is watched: writing, replacing and removing it, and its folder coming and going, each tell once settled', async () => {
    const folder = join(root, `p${++n}`, 'mcp-hub');
    mkdirSync(join(folder, '..'), { recursive: true });
    const path = join(folder, 'policy.json');
    let changes = 0;
    let waiting: (() => void) | undefined;
    const watcher = watchPolicyFile(
      path,
      () => {
        changes++;
        waiting?.();
      },
      { debounceMs: 30 },
    );
    // The watches and the debounce timer keep no process alive (the extension host's own does): the deadline does, here.
    const next = () =>
      new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`no change seen after ${changes} changes`)), 10_000);
        waiting = () => {
          clearTimeout(deadline);
          resolve();
        };
      });
    try {
      let change = next();
      mkdirSync(folder);
      await change;
      change = next();
      writeFileSync(path, '{}');
      await change;
      change = next();
      writeFileSync(`${path}.tmp`, '{"userServers": "none"}');
      execFileSync('mv', [`${path}.tmp`, path]);
      await change;
      change = next();
      rmSync(folder, { recursive: true });
      await change;
      assert.ok(changes >= 4);
    } finally {
      watcher.dispose();
    }
  });
});

describe('the VS Code policy channel', () => {
  it("reads the policy's JSON text from the value VS Code gives as the default, never the person's own", () => {
    assert.deepEqual(policyFromVSCode('', ''), { kind: 'none' });
    assert.deepEqual(policyFromVSCode(undefined, ''), { kind: 'none' });
    const p = policyFromVSCode(JSON.stringify({ organization: 'Acme', gateway: 'off' }), '');
    assert.equal(p.kind === 'ok' && p.origin, 'the VS Code policy McpHubOrganizationPolicy');
    assert.equal(parsed(p).gateway, 'off');
    assert.match(problem(policyFromVSCode('{"gateway": 1}', '')), /^gateway: must be/);
    assert.equal(problem(policyFromVSCode({ gateway: 'off' }, '')), 'must be the JSON text of the policy');
  });

  it('takes either channel alone, and both at once as broken, naming both', () => {
    const file = parse({ organization: 'A' });
    const vscode = policyFromVSCode('{}', '');
    assert.equal(combineChannels(file, { kind: 'none' }), file);
    assert.equal(combineChannels({ kind: 'none' }, vscode), vscode);
    const both = combineChannels(file, vscode);
    assert.equal(both.kind === 'broken' && both.origin, '/etc/mcp-hub/policy.json and the VS Code policy McpHubOrganizationPolicy');
  });
});
