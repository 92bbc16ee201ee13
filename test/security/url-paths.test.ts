// Keys in URL paths. Hosted MCP servers hand out URLs whose path is the credential
// (`/v1/<32 hex>/mcp`, `/<uuid>/sse`, `/k/<token>/mcp`), written literally in settings, so the
// scrubber has no remembered value to mask. Against real servers at such URLs (one that works, one
// that fails and echoes its URL, a legacy SSE one), no surface shows the key: the panel's row, the
// state through the API, Copy Diagnostics and the log. The path's words stay readable.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, describe, it } from 'node:test';
import { diagnosticsReport } from '../../src/core/diagnostics';
import type { McpHub } from '../../src/core/hub';
import { scrubState } from '../../src/core/state';
import { toServerView } from '../../src/view-model';
import { startHttpServer, type HttpFixture } from '../fixtures/http-server';
import { createHub, entries, MemoryLogger, waitForKind } from '../helpers';

const HEX = '9f86d081884c7d659a2feaa0c55ad015';
const UUID = '3f2c8e1a-7b4d-4c9e-a1f0-5d6b7c8e9f01';
const TOKEN = 'Zk3qL9xWv2Rt8YpN4mBc7Hs';
const KEYS = [HEX, UUID, TOKEN, HEX.slice(0, 16), UUID.slice(0, 8), TOKEN.slice(0, 12)];
const environment = { extensionVersion: '0.0.0', platform: 'linux-x64' };
const tally = { urls: 0, surfaces: 0, secretsSeen: 0 };

/** Every surface that shows the server: the row, the state through the API, the diagnostics, the log. */
function shown(h: McpHub, name: string, logger: MemoryLogger): Record<string, string> {
  const s = h.server(name)!;
  return {
    row: JSON.stringify(toServerView(s)),
    state: JSON.stringify(scrubState(s.state)),
    diagnostics: diagnosticsReport(h, name, environment),
    log: logger.text(),
  };
}

function assertNoKey(surfaces: Record<string, string>) {
  for (const [surface, text] of Object.entries(surfaces)) {
    tally.surfaces++;
    const seen = KEYS.filter((k) => text.includes(k));
    tally.secretsSeen += seen.length;
    assert.deepEqual(seen, [], `${surface} shows a key from the URL path: ${text.slice(0, 300)}`);
  }
}

describe('keys in URL paths', () => {
  const hubs: McpHub[] = [];
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((h) => h.dispose()));
    await Promise.all(closers.splice(0).map((c) => c()));
  });
  after(() => {
    console.log(`security[url-paths]: URLs with keys in their path ${tally.urls}, surfaces checked ${tally.surfaces}, secrets seen ${tally.secretsSeen}`);
    assert.equal(tally.secretsSeen, 0);
  });

  it('a running server at a key-bearing URL shows the path with the key masked', async () => {
    const paths = [`/v1/${HEX}/mcp`, `/${UUID}/mcp`, `/k/${TOKEN}/mcp`];
    const fixture: HttpFixture = await startHttpServer({ paths });
    closers.push(() => fixture.close());
    const logger = new MemoryLogger();
    const h = createHub({ logger });
    hubs.push(h);
    await h.applyConfig(entries({ hex: { url: fixture.urlFor(paths[0]) }, uuid: { url: fixture.urlFor(paths[1]) }, token: { url: fixture.urlFor(paths[2]) } }), { trusted: true });
    const expected = { hex: '/v1/***/mcp', uuid: '/***/mcp', token: '/k/***/mcp' };
    for (const [name, path] of Object.entries(expected)) {
      tally.urls++;
      await waitForKind(h, name, 'running');
      const surfaces = shown(h, name, logger);
      assertNoKey(surfaces);
      // The words of the path stay: the person can still tell which endpoint it is.
      assert.equal(toServerView(h.server(name)!).target, `http://127.0.0.1:${fixture.port}${path}`);
      assert.ok(surfaces.diagnostics.includes(`- Target: http://127.0.0.1:${fixture.port}${path}`), surfaces.diagnostics);
    }
  });

  it('a legacy SSE server at /<uuid>/sse', async () => {
    tally.urls++;
    const fixture = await startHttpServer({ legacySse: true, paths: [`/${UUID}/sse`] });
    closers.push(() => fixture.close());
    const logger = new MemoryLogger();
    const h = createHub({ logger });
    hubs.push(h);
    await h.applyConfig(entries({ legacy: { type: 'sse', url: fixture.url } }), { trusted: true });
    await waitForKind(h, 'legacy', 'running');
    assertNoKey(shown(h, 'legacy', logger));
    assert.equal(toServerView(h.server('legacy')!).target, `http://127.0.0.1:${fixture.port}/***/sse`);
  });

  it('a failing server that echoes its full URL in errors and redirects', async () => {
    let port = 0;
    const server: Server = createServer((req, res) => {
      req.resume();
      // The port as listened on: a retry on a kept-alive connection may still come in while the server closes.
      const here = `http://127.0.0.1:${port}${req.url ?? '/'}`;
      if (req.url?.includes('/moved/')) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`no MCP endpoint at ${here} (key ${HEX} unknown; see https://docs.example/keys/${UUID}/help)`);
        return;
      }
      res.writeHead(307, { location: here.replace('/v1/', '/moved/') }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((r) => server.close(r)));
    port = (server.address() as AddressInfo).port;
    for (const [name, url] of [
      ['streamable', `http://127.0.0.1:${port}/v1/${HEX}/mcp`],
      ['sse', `http://127.0.0.1:${port}/v1/${TOKEN}/sse`],
    ] as const) {
      tally.urls++;
      const logger = new MemoryLogger();
      const h = createHub({ logger });
      hubs.push(h);
      await h.applyConfig(entries({ [name]: { url, ...(name === 'sse' ? { type: 'sse' } : {}) } }), { trusted: true });
      await waitForKind(h, name, 'error');
      assertNoKey(shown(h, name, logger));
    }
  });
});
