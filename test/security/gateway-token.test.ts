// The gateway token at rest. VS Code caches what a server definition provider lists, headers
// included, in workspace storage; a token there opened the gateway after a reload. What the editor's
// own client is listed holds no token and cannot open the gateway by itself; the token comes with
// each start only, after the sign-in the person agreed to. The configurations for other clients
// refer to the token and never hold it. (The real editor's files are checked by the e2e suite.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { clientConfigs } from '../../src/core/gateway/client-configs';
import { EditorClient } from '../../src/core/gateway/editor-client';
import { McpGateway } from '../../src/core/gateway/gateway';
import type { McpHub } from '../../src/core/hub';
import { startHttpServer, type HttpFixture } from '../fixtures/http-server';
import { createHub, entries, MemoryLogger, stdioEntry, waitForKind } from '../helpers';

const TOKEN = 'gw-at-rest-0123456789abcdef0123456789abcdefgh';

describe('the gateway token at rest', () => {
  let hub: McpHub;
  let gateway: McpGateway;
  let guarded: HttpFixture;
  let editor: EditorClient;
  const asked: string[] = [];
  let listening = false;
  const declines = { confirmSignIn: async (name: string) => (asked.push(name), false), signInFailed: () => assert.fail('no sign-in was agreed to') };

  const connect = async (url: string, headers: Record<string, string>) => {
    const client = new Client({ name: 'editor-client-test', version: '0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
    return client;
  };

  before(async () => {
    guarded = await startHttpServer({ name: 'guarded', requireHeader: ['authorization', 'Bearer nobody-has-this'] });
    hub = createHub();
    await hub.applyConfig(entries({ local: stdioEntry(), guarded: { url: guarded.url }, off: { ...stdioEntry(), disabled: true } }), { trusted: true });
    await waitForKind(hub, 'local', 'running');
    await waitForKind(hub, 'guarded', 'authRequired');
    gateway = new McpGateway(hub, { token: () => TOKEN, version: '0.0.0', logger: new MemoryLogger() });
    await gateway.start();
    listening = true;
    // As the editor's gateway host does: a URL only while the gateway listens.
    editor = new EditorClient(hub, { url: (name) => (listening ? gateway.url(name) : undefined), token: () => TOKEN });
  });
  after(async () => {
    await gateway.stop();
    await hub.dispose();
    await guarded.close();
  });

  it("lists the servers for the editor's client (what VS Code caches) without the token", () => {
    const listed = editor.list();
    assert.deepEqual(
      listed.map((s) => s.name),
      ['local', 'guarded'],
      'a disabled server is not listed',
    );
    assert.equal(listed[0].url, gateway.url('local'));
    assert.ok(!JSON.stringify(listed).includes(TOKEN), 'no token in what is listed');
    assert.ok(!JSON.stringify(listed).includes(TOKEN.slice(8, 30)), 'nor any part of it');
  });

  it('what is listed cannot open the gateway by itself', async () => {
    const [local] = editor.list();
    await assert.rejects(connect(local.url, {}), /401|Unauthorized|token/i);
  });

  it('hands the token over at a start, and that start reaches the server', async () => {
    const start = await editor.start('local', declines);
    assert.ok(start);
    assert.deepEqual(start.headers, { Authorization: `Bearer ${TOKEN}` });
    const client = await connect(start.url, { ...start.headers });
    try {
      assert.ok((await client.listTools()).tools.some((t) => t.name === 'echo'));
    } finally {
      await client.close();
    }
  });

  it('hands no token over for a server that needs a sign-in the person declined', async () => {
    assert.equal(await editor.start('guarded', declines), undefined);
    assert.deepEqual(asked, ['guarded']);
    assert.equal(await editor.start('gone', declines), undefined);
  });

  it('gives other clients configurations that hold no token', () => {
    const configs = clientConfigs(gateway.url());
    for (const c of configs) {
      assert.ok(!c.text.includes(TOKEN), c.id);
      assert.ok(!c.token.includes(TOKEN), c.id);
    }
    console.log(`security[gateway-token]: client configurations ${configs.length} and the editor's cached list checked, tokens in them 0`);
  });

  it('lists nothing while the gateway does not listen', async () => {
    await gateway.stop();
    listening = false;
    assert.deepEqual(editor.list(), []);
  });
});
