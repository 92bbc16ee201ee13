// The panel's Lit components in happy-dom: what a `servers` message renders, the intents each control
// posts, incremental `update`s that leave other rows alone, untrusted text, malformed messages and the
// empty state. The DOM globals are set before the components are imported (Lit and the
// @vscode-elements read them when they load), and acquireVsCodeApi is a stub that records.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Window as HappyWindow } from 'happy-dom' with { 'resolution-mode': 'import' };
import { ACTION_LABELS, statusLabel, type ExtensionToWebview, type ServerView, type WebviewToExtension } from '../../src/protocol';

let window: HappyWindow;
let document: HappyWindow['document'];

const posted: WebviewToExtension[] = [];
// A panel re-opened: the tools section of "alpha" was left open.
let savedState: unknown = { open: { tools: ['alpha'], bogus: 7 } };
const vscodeApi = {
  postMessage: (m: WebviewToExtension) => void posted.push(m),
  getState: () => savedState,
  setState: (s: unknown) => void (savedState = JSON.parse(JSON.stringify(s))),
};

/** A happy-dom window whose DOM classes and functions become this process's globals, as in a webview. */
async function setUpDom(): Promise<void> {
  // happy-dom is an ES module; these tests are CommonJS.
  const { Window } = await import('happy-dom');
  window = new Window({ url: 'https://panel.mcp-hub.test/', settings: { disableJavaScriptFileLoading: true } });
  document = window.document;
  // happy-dom 21 has no ElementInternals; the @vscode-elements controls call only these (forms are unused).
  Object.assign(window.HTMLElement.prototype, {
    attachInternals: () => ({ form: null, setFormValue() {}, setValidity() {} }),
  });
  // vscode-icon looks for the page's codicon stylesheet by this id (src/vscode/view.ts sets it).
  document.head.innerHTML = '<link rel="stylesheet" id="vscode-codicon-stylesheet">';

  const globals: Record<string, unknown> = {
    window,
    document,
    navigator: window.navigator,
    acquireVsCodeApi: () => vscodeApi,
    requestAnimationFrame: (cb: (t: number) => void) => setTimeout(() => cb(Date.now()), 0),
    cancelAnimationFrame: (id: ReturnType<typeof setTimeout>) => clearTimeout(id),
  };
  // prettier-ignore
  for (const name of [
    'customElements', 'HTMLElement', 'Element', 'Node', 'Text', 'Comment', 'Document', 'DocumentFragment', 'ShadowRoot',
    'HTMLTemplateElement', 'CSSStyleSheet', 'NodeFilter', 'Event', 'CustomEvent', 'MouseEvent', 'KeyboardEvent', 'FocusEvent',
    'MessageEvent', 'MutationObserver', 'ResizeObserver', 'getComputedStyle', 'matchMedia',
  ]) {
    const value: unknown = (window as unknown as Record<string, unknown>)[name];
    globals[name] = typeof value === 'function' && /^[a-z]/.test(name) ? (value as (...a: unknown[]) => unknown).bind(window) : value;
  }
  for (const [name, value] of Object.entries(globals)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
}

// Imported through a variable: the components are type-checked with the webview's tsconfig (DOM types).
const APP = '../../webview-ui/panel/app.ts';

type El = InstanceType<HappyWindow['HTMLElement']>;
interface Panel extends El {
  settled(): Promise<void>;
}

const settle = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
};

function server(name: string, over: Partial<ServerView> = {}): ServerView {
  return { name, transport: 'stdio', target: 'npx', source: 'user', status: 'running', tools: [], resourceCount: 0, promptCount: 0, actions: ['restart', 'stop'], ...over };
}

let panel: Panel;

async function send(message: unknown): Promise<void> {
  window.dispatchEvent(new window.MessageEvent('message', { data: message }));
  await settle();
}

const $ = (selector: string) => panel.querySelector<El>(selector);
const $$ = (selector: string) => [...panel.querySelectorAll<El>(selector)];
const row = (name: string) => {
  const found = $(`.server[data-server="${name}"]`);
  assert.ok(found, `a row for ${name}`);
  return found;
};
const text = (el: { textContent: string | null } | null | undefined) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
const takePosted = () => posted.splice(0);

/** Opens a row's section the way a click on its summary does. */
async function openSection(name: string, section: string): Promise<El> {
  const details = row(name).querySelector<El & { open: boolean }>(`details[data-section="${section}"]`);
  assert.ok(details, `${name} has a ${section} section`);
  if (!details.open) {
    details.open = true;
    details.dispatchEvent(new window.Event('toggle'));
  }
  await settle();
  return details;
}

/** A click where a person clicks a vscode-checkbox: on the label inside its shadow root. */
function clickSwitch(el: El): void {
  const label = el.shadowRoot?.querySelector<El>('label');
  assert.ok(label, 'the switch has rendered');
  label.click();
}

describe('the panel (Lit components in happy-dom)', () => {
  before(async () => {
    await setUpDom();
    await import(APP);
  });

  beforeEach(async () => {
    document.body.innerHTML = '';
    panel = document.createElement('mcp-hub-panel') as unknown as Panel;
    document.body.appendChild(panel);
    await settle();
  });

  after(async () => {
    document.body.innerHTML = '';
    await window.happyDOM.close();
  });

  it('asks for the list when it connects, and says it is loading until the list arrives', () => {
    assert.deepEqual(takePosted(), [{ type: 'ready' }]);
    assert.equal(text($('.loading')), 'Loading servers…');
    assert.equal($$('.server').length, 0);
  });

  it('renders a row per server with its status words, badges and its actions in order', async () => {
    const alpha = server('alpha', { tools: [{ name: 'a' }, { name: 'b' }], protocolVersion: '2026-07-28', transport: 'streamable-http', source: 'workspace' });
    const beta = server('beta', { status: 'authRequired', message: 'Sign in to continue', actions: ['authenticate', 'copyRedirectUri', 'stop'] });
    const gamma = server('gamma', { status: 'needsInput', missingInputs: ['api-key'], actions: ['setInput'] });
    const delta = server('delta', {
      status: 'awaitingApproval',
      source: 'workspace',
      message: "From this workspace's settings; it runs npx once you approve it.",
      actions: ['approve'],
    });
    await send({ type: 'servers', servers: [alpha, beta, gamma, delta] });

    assert.deepEqual(
      $$('.server').map((r) => [r.dataset.server, r.dataset.status]),
      [
        ['alpha', 'running'],
        ['beta', 'authRequired'],
        ['gamma', 'needsInput'],
        ['delta', 'awaitingApproval'],
      ],
    );
    assert.equal(row('alpha').getAttribute('role'), 'listitem');
    assert.equal(text(row('alpha').querySelector('.status')), 'Connected · 2 tools');
    assert.equal(text(row('beta').querySelector('.status')), statusLabel(beta));
    assert.equal(text(row('gamma').querySelector('.status')), 'Needs a value: ${input:api-key}');
    assert.equal(text(row('beta').querySelector('.message')), 'Sign in to continue');
    assert.deepEqual(
      [...row('alpha').querySelectorAll('vscode-badge')].map((b) => text(b)),
      ['streamable-http', 'MCP 2026-07-28'],
    );
    assert.match(row('alpha').querySelector('vscode-badge.revision')!.getAttribute('title')!, /^MCP protocol revision 2026-07-28, the 2026-07-28 revision and later: no handshake/);
    assert.equal(text(row('alpha').querySelector('.source')), 'workspace');
    assert.equal(text($('.summary')), '4 servers · 1 running');
    assert.equal(text(row('delta').querySelector('.status')), 'Waiting for your approval');
    assert.equal(text(row('delta').querySelector('.message')), "From this workspace's settings; it runs npx once you approve it.");
    assert.equal(text(row('delta').querySelector('vscode-button[data-action="approve"]')), 'Approve…');
    assert.ok(row('alpha').querySelector('details[data-section="tools"][open] mcp-tool-list'), 'the tools section left open (getState) is open');

    // Icon actions in the head, worded ones below, each group in the extension's order.
    const actions = (name: string) => [...row(name).querySelectorAll<El>('.action[data-action]')];
    assert.deepEqual(
      actions('beta').map((a) => a.dataset.action),
      ['copyRedirectUri', 'stop', 'authenticate'],
    );
    const authenticate = row('beta').querySelector<El>('vscode-button.action[data-action="authenticate"]');
    assert.equal(text(authenticate), ACTION_LABELS.authenticate);
    assert.equal(authenticate?.hasAttribute('secondary'), false, 'Authenticate is the primary button');
    assert.equal(row('beta').querySelector('vscode-toolbar-button[data-action="stop"]')?.getAttribute('title'), ACTION_LABELS.stop);
    assert.equal(row('beta').querySelector('[data-action="stop"]')?.getAttribute('label'), 'Stop beta');
    assert.equal(text(row('gamma').querySelector('[data-action="setInput"]')), 'Set Value…');

    // Row names and statuses are wired for screen readers.
    const labelled = row('alpha').getAttribute('aria-labelledby') ?? '';
    assert.equal(text(document.getElementById(labelled)), 'alpha');
    assert.equal(text(document.getElementById(row('alpha').getAttribute('aria-describedby') ?? '')), 'Connected · 2 tools');
  });

  it('labels the protocol badge "MCP <revision>" with its era in the tooltip', async () => {
    await send({
      type: 'servers',
      servers: [
        server('classic', { protocolVersion: '2025-11-25' }),
        server('modern', { protocolVersion: '2026-07-28' }),
        server('stopped', { status: 'stopped', protocolVersion: '2025-11-25' }),
      ],
    });
    const badge = (name: string) => row(name).querySelector('vscode-badge.revision');
    assert.equal(text(badge('classic')), 'MCP 2025-11-25');
    assert.equal(badge('classic')!.getAttribute('title'), 'MCP protocol revision 2025-11-25, the classic era: the initialize handshake, as before the 2026-07-28 revision');
    assert.equal(text(badge('modern')), 'MCP 2026-07-28');
    assert.match(badge('modern')!.getAttribute('title')!, /^MCP protocol revision 2026-07-28, the 2026-07-28 revision and later: no handshake/);
    assert.equal(badge('stopped'), null, 'only a running server has a revision');
  });

  it('posts the action a button stands for, with its server', async () => {
    await send({ type: 'servers', servers: [server('alpha'), server('beta', { status: 'authRequired', actions: ['authenticate'] })] });
    takePosted();
    row('alpha').querySelector<El>('[data-action="restart"]')?.click();
    row('beta').querySelector<El>('[data-action="authenticate"]')?.click();
    assert.deepEqual(takePosted(), [
      { type: 'action', action: 'restart', server: 'alpha' },
      { type: 'action', action: 'authenticate', server: 'beta' },
    ]);
  });

  it('says a registry server has an update, and offers Update', async () => {
    await send({ type: 'servers', servers: [server('weather', { updateAvailable: '1.1.0', actions: ['update', 'restart', 'stop'] }), server('plain')] });
    takePosted();
    assert.equal(text(row('weather').querySelector('.update-available')), 'Update available (1.1.0)');
    assert.equal(row('plain').querySelector('.update-available'), null);
    const button = row('weather').querySelector<El>('.text-actions [data-action="update"]');
    assert.equal(text(button), 'Update');
    button?.click();
    assert.deepEqual(takePosted(), [{ type: 'action', action: 'update', server: 'weather' }]);
  });

  it('lists tools only while their section is open, with annotation badges, Run… and switches', async () => {
    const tools = [
      { name: 'search', title: 'Search the repo', description: 'Finds things', annotations: { readOnly: true, destructive: false, openWorld: true } },
      { name: 'rm', description: 'Deletes a file', annotations: { destructive: true, idempotent: true } },
      { name: 'plain' },
    ];
    await send({ type: 'servers', servers: [server('beta', { tools, toolSwitches: true })] });
    takePosted();
    assert.equal(row('beta').querySelector('mcp-tool-list'), null, 'a closed section renders no tool rows');
    assert.equal(text(row('beta').querySelector('summary[data-section="tools"]')), 'Tools (3)');

    await openSection('beta', 'tools');
    assert.ok((savedState as { open: { tools: string[] } }).open.tools.includes('beta'), 'the open section is saved with setState');
    const tool = (name: string) => row('beta').querySelector<El>(`[data-tool="${name}"]`);
    assert.deepEqual(
      $$('[data-tool]').map((t) => t.dataset.tool),
      ['search', 'rm', 'plain'],
    );
    const badges = (name: string) => [...(tool(name)?.querySelectorAll('vscode-badge.annotation') ?? [])].map((b) => text(b));
    assert.deepEqual(badges('search'), ['read-only', 'open world']);
    assert.deepEqual(badges('rm'), ['destructive', 'idempotent']);
    assert.deepEqual(badges('plain'), []);
    assert.equal(text(tool('search')?.querySelector('.tool-title')), 'Search the repo');
    assert.equal(text(tool('rm')?.querySelector('.tool-description')), 'Deletes a file');

    tool('rm')?.querySelector<El>('[data-run]')?.click();
    assert.deepEqual(takePosted(), [{ type: 'runTool', server: 'beta', tool: 'rm' }]);

    const toggle = tool('search')?.querySelector<El & { checked: boolean }>('[data-switch]');
    assert.ok(toggle, 'a switch when the settings may be written');
    assert.equal(toggle.checked, true);
    assert.equal(text(toggle), 'search', 'the switch is labelled by the tool name');
    clickSwitch(toggle);
    assert.deepEqual(takePosted(), [{ type: 'setToolEnabled', server: 'beta', tool: 'search', enabled: false }]);
  });

  it('shows filtered tools greyed with their reason and a switch that turns them back on', async () => {
    const view = server('beta', { tools: [{ name: 'search' }], filteredTools: [{ name: 'rm', reason: 'in tools.deny' }], toolSwitches: true });
    await send({ type: 'servers', servers: [view] });
    assert.equal(text(row('beta').querySelector('summary[data-section="tools"]')), 'Tools (1 · 1 filtered out)');
    await openSection('beta', 'tools');
    takePosted();
    const filtered = row('beta').querySelector<El>('.tools.filtered [data-tool="rm"]');
    assert.ok(filtered);
    assert.ok(filtered.classList.contains('off'));
    assert.equal(text(filtered.querySelector('.tool-reason')), 'in tools.deny');
    assert.equal(filtered.querySelector('[data-run]'), null, 'a filtered tool cannot be run');
    const toggle = filtered.querySelector<El & { checked: boolean }>('[data-switch]');
    assert.ok(toggle);
    assert.equal(toggle.checked, false);
    clickSwitch(toggle);
    assert.deepEqual(takePosted(), [{ type: 'setToolEnabled', server: 'beta', tool: 'rm', enabled: true }]);

    // Without toolSwitches there is nothing to switch, but the reason is still shown.
    await send({ type: 'servers', servers: [{ ...view, toolSwitches: false }] });
    assert.equal(row('beta').querySelectorAll('[data-switch]').length, 0);
    assert.equal(text(row('beta').querySelector('.tool-reason')), 'in tools.deny');
  });

  // happy-dom lays nothing out: every list sits at the top of its 768-pixel view, rows unmeasured.
  // The virtualised list in a real browser (scrolling, measuring, the keyboard): panel-window.test.ts.
  it('renders only the tool rows in view when a server has thousands, each saying its place in the list', async () => {
    const tools = Array.from({ length: 2500 }, (_, i) => ({ name: `tool-${i}` }));
    await send({ type: 'servers', servers: [server('alpha', { tools })] });
    await openSection('alpha', 'tools');
    const rows = [...row('alpha').querySelectorAll<El>('ul.tools > [data-tool]')];
    assert.ok(rows.length > 10 && rows.length < 60, `the rows in view and a little beyond, not 2,500 (${rows.length})`);
    assert.deepEqual(
      rows.slice(0, 3).map((r) => [r.dataset.tool, r.getAttribute('aria-posinset'), r.getAttribute('aria-setsize')]),
      [
        ['tool-0', '1', '2500'],
        ['tool-1', '2', '2500'],
        ['tool-2', '3', '2500'],
      ],
    );
    // The rows not rendered are stood in for by a spacer as tall as they would be (56 px each, unmeasured).
    const spacer = row('alpha').querySelector<El>('ul.tools > .row-spacer');
    assert.equal(spacer?.getAttribute('aria-hidden'), 'true');
    assert.equal(spacer?.style.height, `${(2500 - rows.length) * 56}px`);
    assert.equal(row('alpha').querySelector('[data-more]'), null, 'no paging: the list scrolls');
  });

  it('lists resources in view, opens one, and opens the templates', async () => {
    const resources = Array.from({ length: 120 }, (_, i) => ({ uri: `file:///r/${i}.txt`, name: `r${i}.txt`, mimeType: 'text/plain' }));
    await send({ type: 'servers', servers: [server('gamma', { resources, resourceCount: 5000, templates: true })] });
    assert.equal(text(row('gamma').querySelector('summary[data-section="resources"]')), 'Resources (5,000)');
    await openSection('gamma', 'resources');
    takePosted();
    const listed = [...row('gamma').querySelectorAll<El>('ul.resources > li[data-row-key]')];
    assert.ok(listed.length > 10 && listed.length < 120, `only the resources in view (${listed.length} of 120)`);
    assert.equal(listed[0]?.getAttribute('aria-setsize'), '120');
    assert.equal(text(row('gamma').querySelector('.note')), 'The list holds the first 120 of 5,000 resources.');

    const item = row('gamma').querySelector<El>('[data-resource="file:///r/7.txt"]');
    assert.equal(text(item), 'r7.txt text/plain');
    item?.click();
    row('gamma').querySelector<El>('[data-templates]')?.click();
    assert.deepEqual(takePosted(), [
      { type: 'openResource', server: 'gamma', uri: 'file:///r/7.txt' },
      { type: 'openTemplates', server: 'gamma' },
    ]);
  });

  it('lists prompts with their descriptions and arguments, and opens one', async () => {
    const prompts = [
      { name: 'review', title: 'Code review', description: 'Reviews a diff', arguments: [{ name: 'diff', required: true }, { name: 'tone' }] },
      { name: 'hello', arguments: [] },
    ];
    await send({ type: 'servers', servers: [server('delta', { prompts, promptCount: 2 })] });
    assert.equal(text(row('delta').querySelector('summary[data-section="prompts"]')), 'Prompts (2)');
    await openSection('delta', 'prompts');
    takePosted();
    const review = row('delta').querySelector<El>('[data-prompt="review"]');
    assert.equal(text(review), 'Code review (diff, tone?)');
    assert.equal(text(review?.parentElement?.querySelector('.item-description')), 'Reviews a diff');
    assert.equal(text(row('delta').querySelector('[data-prompt="hello"]')), 'hello');
    review?.click();
    assert.deepEqual(takePosted(), [{ type: 'openPrompt', server: 'delta', prompt: 'review' }]);
  });

  it('says who is signed in, and opens the OAuth trace and copies diagnostics', async () => {
    const now = Date.now();
    const session = {
      issuer: 'https://auth.example.com',
      scopes: ['read', 'write'],
      expiresAt: now + 50 * 60_000,
      refreshedAt: now - 5 * 60_000,
      account: { name: 'Ada Lovelace', email: 'ada@example.com' },
    };
    await send({ type: 'servers', servers: [server('oauth', { session, oauth: true }), server('plain')] });
    takePosted();
    const block = row('oauth').querySelector<El>('.session');
    assert.equal(text(block?.querySelector('.account')), 'Signed in as Ada Lovelace (ada@example.com)');
    assert.equal(text(block?.querySelector('.issuer')), 'issuer https://auth.example.com');
    assert.equal(text(block?.querySelector('.scopes')), 'scopes read write');
    assert.match(text(block?.querySelector('.expires')), /^expires in 50 min/);
    assert.match(text(block?.querySelector('.refreshed')), /^refreshed 5 min.* ago$/);
    assert.equal(block?.querySelector('.signed-in'), null, 'a refreshed session says when it was refreshed');

    row('oauth').querySelector<El>('[data-trace]')?.click();
    row('oauth').querySelector<El>('[data-diagnostics]')?.click();
    assert.deepEqual(takePosted(), [
      { type: 'showTrace', server: 'oauth' },
      { type: 'copyDiagnostics', server: 'oauth' },
    ]);
    assert.equal(row('plain').querySelector('[data-trace]'), null, 'no OAuth links for a server without OAuth');

    // Just signed in, never refreshed: "signed in", not "refreshed just now".
    await send({ type: 'servers', servers: [server('oauth', { session: { ...session, refreshedAt: undefined, obtainedAt: now - 30_000 }, oauth: true })] });
    assert.equal(row('oauth').querySelector('.refreshed'), null);
    assert.equal(text(row('oauth').querySelector('.signed-in')), 'signed in just now');
    await send({ type: 'servers', servers: [server('oauth', { session: { ...session, refreshedAt: undefined, obtainedAt: now - 2 * 3_600_000 }, oauth: true })] });
    assert.match(text(row('oauth').querySelector('.signed-in')), /^signed in 2 h.* ago$/);

    await send({ type: 'servers', servers: [server('oauth', { session: { issuer: 'https://i', scopes: [], account: { username: 'ada' } }, oauth: true })] });
    assert.equal(text(row('oauth').querySelector('.account')), 'Signed in as ada');
    await send({ type: 'servers', servers: [server('oauth', { session: { issuer: 'https://i', scopes: [] } })] });
    assert.equal(text(row('oauth').querySelector('.account')), 'Signed in');
    // Where the server names nobody: the entry's label, as text, and that MCP Hub cannot check it.
    await send({ type: 'servers', servers: [server('oauth', { session: { issuer: 'https://i', scopes: [], label: '<b>work</b>' } })] });
    assert.equal(text(row('oauth').querySelector('.account')), 'Signed in: account "<b>work</b>", as chosen in the browser: the server does not say who signed in');
    assert.equal(row('oauth').querySelector('.account b'), null, 'rendered as text');
  });

  it('replaces only the rows an update names: the others are not rendered again', async () => {
    const alpha = server('alpha');
    const beta = server('beta', { tools: [{ name: 'x' }] });
    await send({ type: 'servers', servers: [alpha, beta] });
    const alphaRow = row('alpha');
    const betaRow = row('beta');
    const betaStatus = betaRow.querySelector('.status');

    const Row = window.customElements.get('mcp-server-row') as unknown as { prototype: { render: (this: { server: ServerView }) => unknown } };
    const original = Row.prototype.render;
    const rendered: string[] = [];
    Row.prototype.render = function (this: { server: ServerView }) {
      rendered.push(this.server.name);
      return original.call(this);
    };
    const mutations = new window.MutationObserver(() => {});
    mutations.observe(betaRow, { subtree: true, childList: true, attributes: true, characterData: true });
    try {
      await send({ type: 'update', servers: [{ ...alpha, status: 'error', message: 'boom', actions: ['restart'] }], removed: [] });
      assert.deepEqual(rendered, ['alpha']);
      assert.equal(row('alpha'), alphaRow, 'the changed row is updated in place');
      assert.equal(text(alphaRow.querySelector('.status')), 'Error: boom');
      assert.equal(alphaRow.dataset.status, 'error');
      assert.equal(row('beta'), betaRow, 'the unchanged row is the same element');
      assert.equal(betaRow.querySelector('.status'), betaStatus);
      assert.equal(mutations.takeRecords().length, 0, 'and nothing in it changed');
    } finally {
      Row.prototype.render = original;
      mutations.disconnect();
    }

    await send({ type: 'update', servers: [server('gamma')], removed: ['alpha'] });
    assert.deepEqual(
      $$('.server').map((r) => r.dataset.server),
      ['beta', 'gamma'],
    );
    assert.equal(row('beta'), betaRow);
  });

  it('ignores an update that comes before the first list', async () => {
    await send({ type: 'update', servers: [server('alpha')], removed: [] });
    assert.equal($$('.server').length, 0);
    assert.equal(text($('.loading')), 'Loading servers…');
  });

  it('renders untrusted text as text, never as markup', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    await send({
      type: 'servers',
      servers: [
        server(evil, {
          status: 'error',
          message: evil,
          detail: evil,
          warnings: [evil],
          target: evil,
          tools: [{ name: evil, title: evil, description: evil }],
          resources: [{ uri: evil, name: evil, description: evil }],
          prompts: [{ name: evil, description: evil, arguments: [{ name: evil }] }],
          session: { issuer: evil, scopes: [evil], account: { name: evil } },
        }),
      ],
    });
    const evilRow = row(evil);
    assert.equal(text(evilRow.querySelector('.status')), `Error: ${evil}`);
    assert.equal(text(evilRow.querySelector('.warning')), evil);
    assert.equal(text(evilRow.querySelector('.account-name')), evil);
    await openSection(evil, 'detail');
    assert.equal(text(evilRow.querySelector('details[data-section="detail"] pre')), evil);
    // The lists are shown only for running servers: the same text again, as a running one.
    await send({
      type: 'update',
      servers: [{ ...server(evil), tools: [{ name: evil, description: evil }], resources: [{ uri: evil, name: evil }], prompts: [{ name: evil, arguments: [] }] }],
      removed: [],
    });
    for (const section of ['tools', 'resources', 'prompts']) await openSection(evil, section);
    assert.equal(text(evilRow.querySelector('.tool-description')), evil);
    assert.equal(evilRow.querySelector('[data-resource]')?.getAttribute('data-resource'), evil);
    assert.equal(text(evilRow.querySelector('[data-prompt]')), evil);
    assert.equal(document.querySelectorAll('img').length, 0, 'no element was made from the text');
    assert.ok((document.body.textContent ?? '').includes(evil));
  });

  it('ignores malformed messages and renders odd fields defensively', async () => {
    await send({ type: 'servers', servers: [server('alpha')] });
    const before = panel.innerHTML;
    takePosted();
    for (const bad of [
      null,
      'servers',
      42,
      { type: 'servers' },
      { type: 'servers', servers: 'alpha' },
      { type: 'servers', servers: [{ name: 'x' }] },
      { type: 'servers', servers: [], gateway: 'on' },
      { type: 'update', servers: [] },
      { type: 'update', servers: [server('alpha')], removed: [1] },
      { type: 'nope', servers: [] },
    ]) {
      await send(bad);
    }
    assert.equal(panel.innerHTML, before, 'nothing changed');
    assert.deepEqual(takePosted(), []);

    // Passes the outline check, with wrong types inside: unknown actions and non-string warnings are dropped.
    const odd = {
      ...server('odd'),
      actions: ['stop', 'format-disk', 7],
      warnings: ['real', 3, null],
      tools: [null, { name: 'ok' }, { name: 5 }, { name: 'ok' }],
      session: 'yes',
      retryAt: 'soon',
    };
    await send({ type: 'servers', servers: [odd] });
    assert.deepEqual(
      [...row('odd').querySelectorAll<El>('[data-action]')].map((a) => a.dataset.action),
      ['stop'],
    );
    assert.deepEqual(
      [...row('odd').querySelectorAll('.warning')].map((w) => text(w)),
      ['real'],
    );
    assert.equal(text(row('odd').querySelector('summary[data-section="tools"]')), 'Tools (1)');
    assert.equal(row('odd').querySelector('.session'), null);
  });

  it('explains what to do when no servers are configured', async () => {
    await send({ type: 'servers', servers: [] });
    takePosted();
    assert.match(text($('.empty')), /No MCP servers are configured\. Add one from an MCP registry, or write them under "mcpHub\.servers"/);
    assert.match(text($('.empty pre')), /"command": "npx"/);
    $('[data-command="addServer"]')?.click();
    assert.deepEqual(takePosted(), [{ type: 'addServer' }]);
    $('[data-command="openSettings"]')?.click();
    assert.deepEqual(takePosted(), [{ type: 'openSettings' }]);
  });

  it('shows the gateway line and connects a client', async () => {
    await send({ type: 'servers', servers: [server('alpha')], gateway: { on: true, address: '127.0.0.1:4567', sessions: 2 } });
    takePosted();
    assert.equal(text($('.gateway-text')), 'Gateway on port 4567 · 2 clients');
    $('[data-command="connectClient"]')?.click();
    assert.deepEqual(takePosted(), [{ type: 'connectClient' }]);
    // The line itself opens who uses the gateway; it is a button, named for what it does.
    assert.equal($('#mcp-gateway')?.tagName, 'BUTTON');
    assert.equal($('#mcp-gateway')?.getAttribute('aria-label'), 'Gateway on port 4567 · 2 clients: show who uses the gateway');
    $('#mcp-gateway')?.click();
    assert.deepEqual(takePosted(), [{ type: 'showGatewayUsage' }]);
    await send({ type: 'servers', servers: [server('alpha')], gateway: { on: false } });
    assert.equal(text($('.gateway-text')), 'Gateway off');
    assert.equal($('[data-command="connectClient"]'), null);
  });

  it('shows the company IdP sign-in: Sign In, Cancel while in the browser, who is signed in with Sign Out', async () => {
    const base = { label: 'acme.okta.com', via: 'hub' as const };
    await send({ type: 'servers', servers: [server('alpha')], enterprise: { ...base, signedIn: false, signingIn: false } });
    takePosted();
    assert.equal(text($('#mcp-enterprise .gateway-text')), 'Company sign-in: acme.okta.com');
    $('[data-command="enterpriseSignIn"]')?.click();
    assert.deepEqual(takePosted(), [{ type: 'enterpriseSignIn' }]);
    await send({ type: 'servers', servers: [server('alpha')], enterprise: { ...base, signedIn: false, signingIn: true } });
    assert.equal(text($('#mcp-enterprise .gateway-text')), 'Signing in to acme.okta.com…');
    $('[data-command="enterpriseCancel"]')?.click();
    assert.deepEqual(takePosted(), [{ type: 'enterpriseCancel' }]);
    // The account is the IdP's words: rendered as text, never as markup.
    const account = 'Ada <img src=x onerror=alert(1)> (ada@example.com)';
    await send({ type: 'servers', servers: [server('alpha')], enterprise: { ...base, signedIn: true, signingIn: false, account } });
    assert.equal(text($('#mcp-enterprise .gateway-text')), `Company sign-in: ${account}`);
    assert.equal($('#mcp-enterprise img'), null);
    $('[data-command="enterpriseSignOut"]')?.click();
    assert.deepEqual(takePosted(), [{ type: 'enterpriseSignOut' }]);
    // Signed in through a VS Code account: VS Code's Accounts menu signs out, not the panel.
    await send({ type: 'servers', servers: [server('alpha')], enterprise: { label: 'Microsoft', via: 'vscode', signedIn: true, signingIn: false } });
    assert.equal($('[data-command="enterpriseSignOut"]'), null);
    await send({ type: 'servers', servers: [server('alpha')] });
    assert.equal($('#mcp-enterprise'), null);
  });

  it("shows who manages MCP Hub, a managed server's line with Turn On / Turn Off, and what the organisation's policy blocks", async () => {
    const organisation = { kind: 'ok', name: 'Acme <b>Corp</b>', origin: '/etc/mcp-hub/policy.json', gateway: 'vscode', userServers: 'none' } as const;
    await send({
      type: 'servers',
      servers: [
        server('wiki', { source: 'managed', managed: { by: 'Acme <b>Corp</b>', availability: 'required' }, actions: ['restart'] }),
        server('files', {
          source: 'managed',
          managed: { by: 'Acme <b>Corp</b>', availability: 'optional' },
          status: 'disabled',
          message: 'offered by Acme; Turn On to start it',
          actions: ['turnOn'],
        }),
        server('tickets', { source: 'managed', managed: { by: 'Acme <b>Corp</b>', availability: 'default' }, actions: ['restart', 'stop', 'turnOff'] }),
        server('mine', { status: 'blocked', blockedBy: 'organisation', message: 'Not started: only the servers Acme manages may run (userServers: none).', actions: [] }),
        server('theirs', { status: 'blocked', blockedBy: 'vscode', message: 'Not started: MCP is turned off in VS Code.', actions: [] }),
      ],
      gateway: { on: true, address: '127.0.0.1:4567', sessions: 0, vscodeOnly: true },
      organisation,
    });
    takePosted();
    assert.equal(text($('#mcp-organisation .gateway-text')), 'Managed by Acme <b>Corp</b>');
    assert.equal($('#mcp-organisation b'), null, 'the organisation’s name is text, never markup');
    assert.equal(text(row('wiki').querySelector('.managed-by')), 'Managed by Acme <b>Corp</b> · required');
    assert.equal(text(row('wiki').querySelector('.source')), 'managed');
    assert.equal(row('wiki').querySelector('[data-action="stop"]'), null);
    assert.equal(text(row('files').querySelector('.managed-by')), 'Managed by Acme <b>Corp</b> · optional');
    row('files').querySelector<El>('[data-action="turnOn"]')?.click();
    row('tickets').querySelector<El>('[data-action="turnOff"]')?.click();
    assert.deepEqual(takePosted(), [
      { type: 'action', action: 'turnOn', server: 'files' },
      { type: 'action', action: 'turnOff', server: 'tickets' },
    ]);
    assert.equal(text(row('mine').querySelector('.status')), "Blocked by your organisation's policy");
    assert.equal(text(row('mine').querySelector('.message')), 'Not started: only the servers Acme manages may run (userServers: none).');
    assert.equal(text(row('theirs').querySelector('.status')), 'Blocked by policy');
    // A tool the policy keeps out has no switch: only the administrator can let it in.
    await send({
      type: 'update',
      servers: [
        server('wiki', {
          source: 'managed',
          managed: { by: 'Acme', availability: 'required' },
          tools: [{ name: 'read' }],
          filteredTools: [
            { name: 'delete_page', reason: "kept off by Acme's policy (tools.deny: delete_*)", locked: true },
            { name: 'search', reason: 'switched off (tools.deny)' },
          ],
          toolSwitches: true,
        }),
      ],
      removed: [],
    });
    const tools = await openSection('wiki', 'tools');
    assert.equal(text(tools.querySelector('.filtered-heading')), 'Filtered out (2)');
    assert.equal(tools.querySelector('[data-tool="delete_page"] [data-switch]'), null);
    assert.equal(text(tools.querySelector('[data-tool="delete_page"] .tool-reason')), "kept off by Acme's policy (tools.deny: delete_*)");
    assert.ok(tools.querySelector('[data-tool="search"] [data-switch]'));
    // For VS Code's own client only: no other client to connect.
    assert.equal(text($('#mcp-gateway')), 'Gateway on port 4567 · VS Code only');
    assert.equal($('[data-command="connectClient"]'), null);
    await send({ type: 'servers', servers: [server('wiki')], gateway: { on: false, organisation: 'Acme' }, organisation });
    assert.equal(text($('#mcp-gateway')), "Gateway off (Acme's policy)");
  });

  it('says plainly when the organisation’s policy cannot be used: the file, the field, and that nothing runs', async () => {
    await send({
      type: 'servers',
      servers: [server('mine', { status: 'blocked', blockedBy: 'organisation', actions: [] })],
      organisation: { kind: 'broken', origin: '/etc/mcp-hub/policy.json', problem: 'servers.wiki.availability: must be "required", "default" or "optional"' },
    });
    const bar = $('#mcp-organisation');
    assert.equal(bar?.getAttribute('role'), 'alert');
    assert.equal(
      text(bar?.querySelector('.gateway-text')),
      `Your organisation's policy (/etc/mcp-hub/policy.json) cannot be used: servers.wiki.availability: must be "required", "default" or "optional". No server runs until it is fixed.`,
    );
    // A malformed organisation line makes the whole message malformed: it is ignored.
    await send({ type: 'servers', servers: [server('other')], organisation: { kind: 'broken', origin: '/x' } });
    assert.ok($('.server[data-server="mine"]'));
  });

  it('counts down to the next retry every second', async () => {
    await send({ type: 'servers', servers: [server('alpha', { status: 'error', message: 'down', retryAt: Date.now() + 3000 })] });
    const retry = row('alpha').querySelector('.retry');
    assert.equal(text(retry), 'retrying in 3 s');
    await new Promise((r) => setTimeout(r, 1100));
    await settle();
    assert.equal(text(retry), 'retrying in 2 s');
  });

  it('announces status changes to screen readers, but not the first list', async () => {
    const live = () => text($('[role="status"][aria-live="polite"]'));
    await send({ type: 'servers', servers: [server('alpha'), server('beta')] });
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(live(), '');
    await send({ type: 'update', servers: [server('beta', { status: 'error', message: 'boom' })], removed: [] });
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(live(), 'beta: Error: boom');
  });

  it('keeps the focus in a row whose button was replaced', async () => {
    await send({ type: 'servers', servers: [server('alpha', { status: 'authRequired', actions: ['authenticate'] })] });
    const authenticate = row('alpha').querySelector<El>('[data-action="authenticate"]');
    authenticate?.focus();
    assert.equal(document.activeElement, authenticate);
    await send({ type: 'update', servers: [server('alpha', { status: 'authenticating', actions: ['cancel'] })], removed: [] });
    assert.equal(document.activeElement, row('alpha').querySelector('[data-action="cancel"]'));
  });

  it('forgets the open sections of servers that are gone', async () => {
    await send({ type: 'servers', servers: [server('alpha', { tools: [{ name: 't' }] })] });
    await openSection('alpha', 'tools');
    assert.ok((savedState as { open: { tools: string[] } }).open.tools.includes('alpha'));
    await send({ type: 'servers', servers: [server('zeta')] } satisfies ExtensionToWebview);
    assert.deepEqual((savedState as { open: { tools: string[] } }).open.tools, []);
  });
});
