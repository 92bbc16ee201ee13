// What the policies decide for each server, in one place: VS Code's and the organisation's; the
// organisation's servers as entries with the person's choices; names that cannot shadow them; the
// actions each availability allows; tool lists the person narrows but never widens.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeScopes, parseServers, toolAllowed, type ConfigEntry, type ServerConfig } from '../../src/core/config';
import { parseManagedPolicy, type OrganisationPolicy } from '../../src/core/managed-policy';
import { commandMatches, gatewayMode, managedEntries, parseManagedChoices, refusal, type Policies } from '../../src/core/policies';
import { identityOf, OPEN_POLICY } from '../../src/core/policy';
import { actionsFor, type ActionContext } from '../../src/core/state';
import { filterReason, switchTool } from '../../src/core/tool-switch';

const org = (value: unknown): OrganisationPolicy => {
  const p = parseManagedPolicy(JSON.stringify(value), '/etc/mcp-hub/policy.json');
  assert.equal(p.kind, 'ok', JSON.stringify(p));
  return p;
};
const policies = (value: unknown, editor = OPEN_POLICY): Policies => ({ editor, organisation: org(value) });
const entry = (name: string, raw: Record<string, unknown>, source: 'user' | 'workspace' = 'user'): ServerConfig => {
  const [e] = parseServers({ [name]: raw }, source);
  assert.ok(e.ok, e.ok ? '' : e.error);
  return e.config;
};
/** The refusal once what the entry runs is known, as the hub asks it last. */
const refused = (p: Policies, config: ServerConfig) => refusal(p, { name: config.name, source: config.source, config }, identityOf(config.name, config));

const WIKI = { url: 'https://mcp.acme.example/wiki', availability: 'required', tools: { deny: ['delete_*'] } };

describe("the organisation's rules for the person's own servers", () => {
  const remote = entry('notes', { url: 'https://notes.example.com/mcp' });
  const local = entry('files', { command: 'npx', args: ['-y', '@acme/files'] });

  it('userServers "all" runs them; "none" runs only the managed ones, whatever the scope', () => {
    assert.equal(refused(policies({ userServers: 'all' }), remote), undefined);
    const none = policies({ organization: 'Acme', servers: { wiki: WIKI }, userServers: 'none' });
    assert.deepEqual(refused(none, remote), { by: 'organisation', message: 'only the servers Acme manages may run (userServers: none)' });
    assert.equal(refused(none, entry('notes', { url: 'https://notes.example.com/mcp' }, 'workspace'))?.by, 'organisation');
    // Already by name and source, before anything is resolved.
    assert.equal(refusal(none, { name: 'notes', source: 'user', config: remote })?.by, 'organisation');
    const [wiki] = managedEntries(none.organisation, new Map());
    assert.ok(wiki.ok);
    assert.equal(refused(none, wiki.config), undefined);
  });

  it('userServers "registry" runs only entries installed from an allowed registry (any case in the host, a trailing slash or not)', () => {
    const p = policies({ userServers: 'registry', allowedRegistries: ['https://Registry.Acme.example/v0/'] });
    const from = (url: string) => entry('x', { url: 'https://x.example/mcp', registry: { url, name: 'acme/x', version: '1.0.0' } });
    assert.equal(refused(p, from('https://registry.acme.example/v0')), undefined);
    assert.match(refused(p, from('https://registry.evil.example/v0'))?.message ?? '', /userServers: registry.*names another registry/);
    assert.match(refused(p, from('https://registry.acme.example/v1'))?.message ?? '', /names another registry/);
    assert.match(refused(p, remote)?.message ?? '', /names no registry/);
    // A provenance field that is not { url, name, version } makes the entry invalid, naming the field (config.ts).
    const [bad] = parseServers({ x: { url: 'https://x.example/mcp', registry: 'https://registry.acme.example/v0' } }, 'user');
    assert.ok(!bad.ok && /^mcpHub\.servers\.x\.registry: must be an object/.test(bad.error));
  });

  it('allow patterns: URLs as VS Code matches them, command lines part by part; what the entry runs decides, not its name', () => {
    const p = policies({ organization: 'Acme', allow: { urls: ['https://*.acme.example/*'], commands: [['npx', '-y', '@acme/*']] } });
    assert.equal(refused(p, entry('a', { url: 'https://tickets.acme.example/mcp' })), undefined);
    assert.match(refused(p, entry('a', { url: 'https://acme.example.evil.test/mcp' }))?.message ?? '', /its URL is not one Acme allows \(allow\.urls\)/);
    assert.match(refused(p, entry('a', { url: 'https://evil.test/x.acme.example/mcp' }))?.message ?? '', /allow\.urls/);
    assert.equal(refused(p, local), undefined);
    assert.match(refused(p, entry('f', { command: 'npx', args: ['-y', '@evil/files'] }))?.message ?? '', /command line is not one Acme allows \(allow\.commands\)/);
    assert.match(refused(p, entry('f', { command: 'npx', args: ['-y', '@acme/files', '--extra'] }))?.message ?? '', /allow\.commands/);
    assert.match(refused(p, entry('f', { command: '/tmp/npx', args: ['-y', '@acme/files'] }))?.message ?? '', /allow\.commands/);
    // Before the URL or command line is known, only the name and source are judged.
    assert.equal(refusal(p, { name: 'f', source: 'user' }), undefined);
  });

  it('refuses an allowed command line whose env would change what it runs', () => {
    const p = policies({ allow: { commands: [['npx', '-y', '@acme/*']] } });
    for (const key of ['PATH', 'NODE_OPTIONS', 'LD_PRELOAD', 'DYLD_INSERT_LIBRARIES', 'npm_config_registry', 'PYTHONPATH', 'UV_INDEX_URL']) {
      const config = entry('f', { command: 'npx', args: ['-y', '@acme/files'], env: { [key]: '/tmp/evil' } });
      assert.match(refused(p, config)?.message ?? '', new RegExp(`its env sets ${key}`), key);
    }
    assert.equal(refused(p, entry('f', { command: 'npx', args: ['-y', '@acme/files'], env: { LOG_LEVEL: 'debug' } })), undefined);
  });

  it('matches a command line part by part, "*" staying within its part', () => {
    assert.ok(commandMatches(['uvx', 'acme-*'], ['uvx', 'acme-tickets']));
    assert.ok(!commandMatches(['uvx', 'acme-*'], ['uvx', 'acme-tickets', 'extra']));
    assert.ok(!commandMatches(['uvx', '*'], ['uvx']));
    assert.ok(!commandMatches(['npx', '@acme/x'], ['npx', '@acme/x.y']), 'a dot is literal');
    assert.ok(commandMatches(['node', '/opt/acme/*.js'], ['node', '/opt/acme/server.js']));
  });

  it("VS Code's policies hold for every server, the organisation's own included; a broken policy refuses all, naming the file and field", () => {
    const p = policies({ servers: { wiki: WIKI } }, { access: 'none' });
    const [wiki] = managedEntries(p.organisation, new Map());
    assert.ok(wiki.ok);
    assert.equal(refused(p, wiki.config)?.by, 'vscode');
    const broken: Policies = { editor: OPEN_POLICY, organisation: parseManagedPolicy('{"gateway": "all"}', '/etc/mcp-hub/policy.json') };
    assert.deepEqual(refused(broken, remote), {
      by: 'organisation',
      message: `your organisation's policy (/etc/mcp-hub/policy.json) cannot be used: gateway: must be "on", "off" or "vscode"; nothing runs until it is fixed`,
    });
    assert.deepEqual(managedEntries(broken.organisation, new Map()), []);
  });

  it('gateway: on without a policy, as the policy says with one, off while it is broken', () => {
    assert.equal(gatewayMode({ kind: 'none' }), 'on');
    assert.equal(gatewayMode(org({ gateway: 'vscode' })), 'vscode');
    assert.equal(gatewayMode(org({ gateway: 'off' })), 'off');
    assert.equal(gatewayMode({ kind: 'broken', origin: 'f', problem: 'p' }), 'off');
  });
});

describe('the servers the organisation manages, with the person’s choices', () => {
  const policy = org({
    organization: 'Acme',
    servers: {
      wiki: WIKI,
      tickets: { url: 'https://mcp.acme.example/tickets', availability: 'default' },
      files: { command: 'npx', args: ['-y', '@acme/files'], availability: 'optional' },
    },
  });
  const by = (entries: ConfigEntry[]) => Object.fromEntries(entries.map((e) => [e.name, e.ok ? e.config : assert.fail(e.name)]));

  it('required always on, default on unless turned off, optional off unless turned on', () => {
    const untouched = by(managedEntries(policy, new Map()));
    assert.deepEqual(
      Object.values(untouched).map((c) => [c.name, c.source, c.disabled]),
      [
        ['wiki', 'managed', false],
        ['tickets', 'managed', false],
        ['files', 'managed', true],
      ],
    );
    const choices = parseManagedChoices({ wiki: { enabled: false }, tickets: { enabled: false }, files: { enabled: true } });
    const entries = managedEntries(policy, choices);
    const chosen = by(entries);
    assert.equal(chosen.wiki.disabled, false, 'a required server cannot be turned off');
    assert.deepEqual(entries[0].ok && entries[0].warnings, ['wiki is required by Acme: mcpHub.managedServers.wiki.enabled is ignored.']);
    assert.equal(chosen.tickets.disabled, true);
    assert.equal(chosen.files.disabled, false);
  });

  it("reads the person's choices leniently: a wrong field is named on the row and the rest applies", () => {
    const choices = parseManagedChoices({ tickets: { enabled: 'no', tools: { deny: ['x'] } }, files: 'on', other: null });
    assert.deepEqual(choices.get('tickets'), { tools: { deny: ['x'] }, problem: 'mcpHub.managedServers.tickets.enabled must be true or false; ignored.' });
    assert.match(choices.get('files')?.problem ?? '', /mcpHub\.managedServers\.files must be an object/);
    assert.deepEqual(parseManagedChoices(undefined).size, 0);
    const [, tickets] = managedEntries(policy, choices);
    assert.ok(tickets.ok);
    assert.deepEqual(tickets.warnings, ['mcpHub.managedServers.tickets.enabled must be true or false; ignored.']);
    assert.equal(tickets.config.disabled, false);
  });

  it('no user or workspace entry shadows one: it keeps its own row, under another name', () => {
    const merged = mergeScopes(
      managedEntries(policy, new Map()),
      parseServers({ wiki: { url: 'https://evil.example/wiki' }, notes: { url: 'https://notes.example/mcp' } }, 'user'),
      parseServers({ wiki: { url: 'https://evil.example/ws' }, notes: { url: 'https://evil.example/notes' } }, 'workspace'),
      parseServers({ tickets: { url: 'https://evil.example/t' } }, 'workspaceFolder'),
    );
    assert.deepEqual(
      merged.map((e) => [e.name, e.source, e.settingsKey]),
      [
        ['wiki', 'managed', undefined],
        ['tickets', 'managed', undefined],
        ['files', 'managed', undefined],
        ['wiki (user)', 'user', 'wiki'],
        ['notes', 'user', undefined],
        ['wiki (workspace)', 'workspace', 'wiki'],
        ['notes (workspace)', 'workspace', 'notes'],
        ['tickets (folder)', 'workspaceFolder', 'tickets'],
      ],
    );
    const wiki = merged[0];
    assert.ok(wiki.ok && wiki.config.type !== 'stdio' && wiki.config.url === 'https://mcp.acme.example/wiki');
  });

  it('tools: the person narrows the administrator’s filter, never widens it', () => {
    const choices = parseManagedChoices({ wiki: { tools: { allow: ['*'], deny: ['search'] } } });
    const wiki = by(managedEntries(policy, choices)).wiki;
    assert.ok(toolAllowed(wiki, 'read_page'));
    assert.ok(!toolAllowed(wiki, 'delete_page'), 'allow ["*"] does not undo the policy’s deny');
    assert.ok(!toolAllowed(wiki, 'search'), 'the person’s own deny narrows');
    assert.equal(filterReason(wiki.tools, 'delete_page', wiki.managed), "kept off by Acme's policy (tools.deny: delete_*)");
    assert.equal(filterReason(wiki.tools, 'search', wiki.managed), 'switched off (tools.deny)');
    // The panel's switch: switching the policy's tool on is refused; the person's own is fine.
    assert.match((switchTool(wiki.tools, 'delete_page', true, wiki.managed) as { refused: string }).refused, /kept off by Acme's policy .*only Acme can switch it on/);
    assert.deepEqual(switchTool(wiki.tools, 'search', true, wiki.managed), { filter: { allow: ['*'] } });
    assert.deepEqual(switchTool({}, 'read_page', false, wiki.managed), { filter: { deny: ['read_page'] } });
    // An allow list in the policy: a tool outside it is kept off, whatever the person's own allow says.
    const narrow = org({ organization: 'Acme', servers: { w: { url: 'https://w.example/mcp', availability: 'default', tools: { allow: ['read_*'] } } } });
    const w = by(managedEntries(narrow, parseManagedChoices({ w: { tools: { allow: ['write_*', 'read_*'] } } }))).w;
    assert.ok(toolAllowed(w, 'read_a') && !toolAllowed(w, 'write_a'));
    assert.equal(filterReason(w.tools, 'write_a', w.managed), "kept off by Acme's policy (not in its tools.allow)");
  });
});

describe('what each availability lets the person do', () => {
  const ctx = (managed?: ActionContext['managed']): ActionContext => ({
    configured: true,
    oauth: true,
    session: true,
    inputs: false,
    inlineSecrets: false,
    ...(managed ? { managed } : {}),
  });
  const running = { kind: 'running', serverInfo: { name: 's', version: '1' }, tools: [], resources: [], prompts: [] } as const;

  it('required: never Stop (nor Turn Off); Restart and Log Out stay', () => {
    for (const state of [running, { kind: 'starting' } as const, { kind: 'error', message: 'x' } as const, { kind: 'needsInput', inputs: ['k'] } as const]) {
      const actions = actionsFor(state, ctx('required'));
      assert.ok(!actions.includes('stop') && !actions.includes('turnOff'), `${state.kind}: ${actions.join()}`);
    }
    assert.deepEqual(actionsFor(running, ctx('required')), ['restart', 'logout']);
    assert.deepEqual(actionsFor(running, ctx()), ['restart', 'stop', 'logout']);
  });

  it('default and optional: Turn Off while on, Turn On while turned off; never on a blocked one', () => {
    assert.deepEqual(actionsFor(running, ctx('default')), ['restart', 'stop', 'logout', 'turnOff']);
    assert.deepEqual(actionsFor({ kind: 'disabled', reason: 'settings' }, ctx('optional')), ['turnOn']);
    assert.deepEqual(actionsFor({ kind: 'disabled', reason: 'policy', message: 'x' }, ctx('optional')), []);
    assert.deepEqual(actionsFor({ kind: 'disabled', reason: 'settings' }, ctx()), []);
  });
});
