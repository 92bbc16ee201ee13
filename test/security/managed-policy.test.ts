// The organisation's policy holds against the person's and a folder's settings, the gateway, the
// panel's commands and the API: each availability does what it says, a required server cannot be
// stopped, the person's own servers run only as the policy allows (counted in process starts), no
// entry shadows a managed one, an administrator's tool deny cannot be widened, and a broken policy
// runs nothing at all. Real stdio servers and the real gateway throughout.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { mergeScopes, parseServers, type ConfigEntry } from '../../src/core/config';
import { InMemoryConsentStore } from '../../src/core/consent';
import { isHubError } from '../../src/core/errors';
import { McpGateway } from '../../src/core/gateway/gateway';
import { McpHub } from '../../src/core/hub';
import { parseManagedPolicy, type OrganisationPolicy } from '../../src/core/managed-policy';
import { managedEntries, parseManagedChoices } from '../../src/core/policies';
import { systemClock } from '../../src/core/ports';
import { parseWebviewMessage } from '../../src/protocol';
import { toServerView } from '../../src/view-model';
import { fastRetry, MemoryLogger, stdioFixture, waitFor } from '../helpers';

const dir = mkdtempSync(join(tmpdir(), 'mcp-hub-managed-'));
after(() => rmSync(dir, { recursive: true, force: true }));
/** Each fixture server writes a line to its own log per process start. */
const spawnLog = (name: string) => join(dir, `${name}.spawns`);
const spawns = (name: string) => (existsSync(spawnLog(name)) ? readFileSync(spawnLog(name), 'utf8').trim().split('\n').filter(Boolean).length : 0);
const TOKEN = 'gw-token-0123456789abcdef0123456789abcdef';

let attempts = 0;
let gotAround = 0;
/** One way around the policy tried; `held` says whether the policy held. */
const tried = (held: boolean, what: string) => {
  attempts++;
  if (!held) gotAround++;
  assert.ok(held, what);
};

const stdio = (name: string, extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: [stdioFixture],
  // Env values are secrets to the scrubber: the fixture's name is not the server's.
  env: { FIXTURE_SPAWN_LOG: spawnLog(name), FIXTURE_NAME: `${name}-fixture` },
  ...extra,
});
const policyOf = (value: unknown): OrganisationPolicy => parseManagedPolicy(JSON.stringify(value), '/etc/mcp-hub/policy.json');

const hubs: McpHub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.dispose()));
});
function newHub(): McpHub {
  const hub = new McpHub({
    logger: new MemoryLogger(),
    clock: systemClock,
    clientInfo: { name: 'mcp-hub-tests', version: '0.0.0' },
    retry: fastRetry,
    consent: new InMemoryConsentStore(),
  });
  hubs.push(hub);
  return hub;
}

/** What the extension hands the hub: the organisation's servers with the person's choices, then every settings scope. */
function settings(org: OrganisationPolicy, user: Record<string, unknown>, workspace: Record<string, unknown> = {}, choices: unknown = {}): ConfigEntry[] {
  return mergeScopes(managedEntries(org, parseManagedChoices(choices)), parseServers(user, 'user'), parseServers(workspace, 'workspace'));
}
const options = (organisation: OrganisationPolicy) => ({ trusted: true, workspaceFolder: dir, organisation });

const ACME = {
  organization: 'Acme',
  servers: {
    company: { ...stdio('company'), availability: 'required', tools: { deny: ['dangerous_*'] } },
    helper: { ...stdio('helper'), availability: 'default' },
    extra: { ...stdio('extra'), availability: 'optional' },
  },
};

describe("the organisation's policy holds in MCP Hub", () => {
  after(() => console.log(`security[managed-policy]: attempts to get around the organisation's policy ${attempts}, got around it ${gotAround}`));

  it('required runs and cannot be stopped; default runs and may be turned off; optional waits to be turned on', async () => {
    const hub = newHub();
    const org = policyOf(ACME);
    await hub.applyConfig(settings(org, {}), options(org));
    await waitFor(hub, 'company', (s) => s.state.kind === 'running');
    await waitFor(hub, 'helper', (s) => s.state.kind === 'running');
    const extra = hub.server('extra')!;
    assert.deepEqual(extra.state, { kind: 'disabled', reason: 'settings', message: 'offered by Acme; Turn On to start it' });
    assert.deepEqual(toServerView(extra).actions, ['turnOn']);
    assert.deepEqual(toServerView(extra).managed, { by: 'Acme', availability: 'optional' });

    // Stop, from the panel (a webview message the extension accepts and runs as the Stop command) or the API: refused.
    assert.ok(parseWebviewMessage({ type: 'action', action: 'stop', server: 'company' }), 'the message itself is well-formed');
    tried(!toServerView(hub.server('company')!).actions.includes('stop'), 'the panel offers no Stop on a required server');
    const stop = await hub.stop('company').then(
      () => undefined,
      (e: unknown) => e,
    );
    tried(isHubError(stop, 'managed_required'), 'Stop on a required server is refused');
    assert.match((stop as Error).message, /required by Acme; it cannot be stopped/);
    assert.equal(hub.server('company')!.state.kind, 'running');
    await assert.rejects(hub.start('extra'), /is turned off \(Turn On in the MCP Hub panel, or mcpHub\.managedServers\.extra\.enabled\)/);

    // The person's choices (mcpHub.managedServers): turning the required one off does nothing.
    await hub.applyConfig(settings(org, {}, {}, { company: { enabled: false }, helper: { enabled: false }, extra: { enabled: true } }), options(org));
    await waitFor(hub, 'extra', (s) => s.state.kind === 'running');
    tried(hub.server('company')!.state.kind === 'running', 'a required server turned off in the person’s settings keeps running');
    assert.match(hub.server('company')!.warnings.join(), /company is required by Acme: mcpHub\.managedServers\.company\.enabled is ignored/);
    assert.deepEqual(hub.server('helper')!.state, { kind: 'disabled', reason: 'settings', message: 'you turned it off; Turn On to start it' });
    // A stop for now is fine for a default server.
    await hub.stop('extra');
    assert.equal(hub.server('extra')!.state.kind, 'stopped');
  });

  it('userServers "none": no user or workspace entry runs, not even started directly, nor under a managed server’s name', async () => {
    const hub = newHub();
    const org = policyOf({ ...ACME, userServers: 'none' });
    await hub.applyConfig(
      settings(org, { mine: stdio('mine'), company: stdio('impostor'), remote: { url: 'https://mcp.example.com/mcp' } }, { theirs: stdio('theirs'), helper: stdio('impostor-ws') }),
      options(org),
    );
    await waitFor(hub, 'company', (s) => s.state.kind === 'running');
    await waitFor(hub, 'helper', (s) => s.state.kind === 'running');
    for (const name of ['mine', 'company (user)', 'remote', 'theirs', 'helper (workspace)']) {
      const s = hub.server(name)!;
      tried(s.state.kind === 'disabled' && s.state.reason === 'organisation', `${name}: ${JSON.stringify(s.state)}`);
      assert.equal(s.consent, undefined, 'nothing is asked about a server the policy refuses');
      const view = toServerView(s);
      assert.equal(view.status, 'blocked');
      assert.equal(view.blockedBy, 'organisation');
      assert.equal(view.message, 'Not started: only the servers Acme manages may run (userServers: none).');
      tried(
        await hub.start(name).then(
          () => false,
          (e: unknown) => /blocked by your organisation's policy/.test(String(e)),
        ),
        `start ${name}`,
      );
      tried(
        await hub.callTool(name, 'echo', { text: 'x' }).then(
          () => false,
          () => true,
        ),
        `call a tool of ${name}`,
      );
    }
    // The managed "company" is the administrator's: it runs what the policy says, not the user entry of that name.
    const who = await hub.callTool('company', 'whoami');
    tried(/^company-fixture pid=/.test((who.content[0] as { text: string }).text), 'the managed server is not shadowed');
    // Once every entry was decided, nothing of theirs was started (the managed ones were, once each).
    await hub.applyConfig(settings(org, { mine: stdio('mine') }), options(org));
    for (const name of ['mine', 'impostor', 'theirs', 'impostor-ws']) tried(spawns(name) === 0, `${name} started ${spawns(name)} times`);
  });

  it('userServers "registry" with command patterns: a hand-written registry field alone does not get a server in', async () => {
    const hub = newHub();
    const org = policyOf({
      organization: 'Acme',
      userServers: 'registry',
      allowedRegistries: ['https://registry.acme.example/'],
      allow: { commands: [[process.execPath, stdioFixture]] },
    });
    const registry = { url: 'https://registry.acme.example', name: 'acme/x', version: '1.0.0' };
    await hub.applyConfig(
      settings(org, {
        installed: { ...stdio('installed'), registry },
        forged: { command: 'sh', args: ['-c', 'echo pwned'], registry },
        elsewhere: { ...stdio('elsewhere'), registry: { ...registry, url: 'https://registry.evil.example' } },
        loader: { ...stdio('loader'), env: { FIXTURE_SPAWN_LOG: spawnLog('loader'), FIXTURE_NAME: 'loader-fixture', NODE_OPTIONS: '--require /tmp/evil.js' }, registry },
      }),
      options(org),
    );
    await waitFor(hub, 'installed', (s) => s.state.kind === 'running');
    const reason = (name: string) => {
      const s = hub.server(name)!.state;
      return s.kind === 'disabled' && s.reason === 'organisation' ? (s.message ?? '') : '';
    };
    tried(/allow\.commands/.test(reason('forged')), 'a forged registry field on another command line');
    tried(/names another registry/.test(reason('elsewhere')), 'another registry');
    tried(/its env sets NODE_OPTIONS/.test(reason('loader')), 'an allowed command line with NODE_OPTIONS');
    for (const name of ['elsewhere', 'loader']) tried(spawns(name) === 0, `${name} started`);
  });

  it('an administrator’s tool deny holds: not listed, not callable, not through the gateway, not widened by the person', async () => {
    const hub = newHub();
    const org = policyOf({ ...ACME, userServers: 'none' });
    // The person tries to widen: allow everything, and a user entry with the same name and no filter.
    await hub.applyConfig(settings(org, { company: stdio('impostor') }, {}, { company: { tools: { allow: ['*'], deny: ['add'] } } }), options(org));
    const company = await waitFor(hub, 'company', (s) => s.state.kind === 'running');
    await waitFor(hub, 'helper', (s) => s.state.kind === 'running');
    const listed = company.state.kind === 'running' ? company.state.tools.map((t) => t.name) : [];
    tried(!listed.includes('dangerous_delete'), 'the denied tool is not listed');
    assert.ok(listed.includes('echo') && !listed.includes('add'), 'the person’s own deny narrows');
    assert.deepEqual(
      toServerView(company).filteredTools?.map((t) => [t.name, t.reason, t.locked === true]),
      [
        ['add', 'switched off (tools.deny)', false],
        ['dangerous_delete', "kept off by Acme's policy (tools.deny: dangerous_*)", true],
      ],
    );
    const direct = await hub.callTool('company', 'dangerous_delete').then(
      () => undefined,
      (e: unknown) => e,
    );
    tried(isHubError(direct, 'tool_not_allowed'), 'the API refuses the denied tool');
    assert.match((direct as Error).message, /filtered out by the policy of Acme/);

    const logger = new MemoryLogger();
    const gateway = new McpGateway(hub, { token: () => TOKEN, version: '0.0.0', logger });
    await gateway.start();
    const clients: Client[] = [];
    try {
      for (const path of ['/mcp', '/servers/company/mcp', '/servers/company%20(user)/mcp']) {
        const client = new Client({ name: 'attacker', version: '0' }, { versionNegotiation: { mode: 'legacy' } });
        clients.push(client);
        await client.connect(
          new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${gateway.port}${path}`), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }),
        );
        const tools = (await client.listTools()).tools.map((t) => t.name);
        tried(
          !tools.includes('company__dangerous_delete') && !(path === '/servers/company/mcp' && tools.includes('dangerous_delete')),
          `${path} lists no denied tool: ${tools.join()}`,
        );
        for (const name of ['dangerous_delete', 'company__dangerous_delete', 'company_dangerous_delete', 'echo']) {
          const result = await client.callTool({ name, arguments: { text: 'x' } });
          const ranDenied = !result.isError && name.includes('dangerous');
          const ranBlocked = !result.isError && path.includes('(user)');
          tried(!ranDenied && !ranBlocked, `${path} ${name}: ${JSON.stringify(result.content)}`);
        }
      }
    } finally {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await gateway.stop();
    }
  });

  it('a broken policy runs nothing, managed or not, and every row names the file and the field', async () => {
    const hub = newHub();
    const good = policyOf({ ...ACME, userServers: 'all' });
    await hub.applyConfig(settings(good, { mine: stdio('mine') }), options(good));
    await waitFor(hub, 'mine', (s) => s.state.kind === 'running');
    const broken = parseManagedPolicy(JSON.stringify({ ...ACME, servers: { company: { ...ACME.servers.company, availability: 'always' } } }), '/etc/mcp-hub/policy.json');
    await hub.applyConfig(settings(broken, { mine: stdio('mine') }, { theirs: stdio('theirs') }), options(broken));
    assert.deepEqual(
      hub.servers().map((s) => s.name),
      ['mine', 'theirs'],
      'the managed servers are gone (their entries cannot be trusted), the others blocked',
    );
    for (const s of hub.servers()) {
      tried(s.state.kind === 'disabled' && s.state.reason === 'organisation', `${s.name} under a broken policy: ${JSON.stringify(s.state)}`);
      assert.equal(
        toServerView(s).message,
        `Not started: your organisation's policy (/etc/mcp-hub/policy.json) cannot be used: servers.company.availability: must be "required", "default" or "optional"; nothing runs until it is fixed.`,
      );
    }
  });
});
