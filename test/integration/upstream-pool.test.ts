// The sockets to a remote server (UpstreamPool): at most its cap open at once, the rest waiting; a
// waiting request given up by its caller never reaches the server; a forwarded request's 2xx answer
// is handed to the pass-through while every other answer goes back up the fetch chain; what is not
// the server's own MCP traffic goes to the fallback. Then through the gateway: 200 concurrent calls
// reach the server on at most MAX_SOCKETS_PER_SERVER connections, every one answered.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport, type FetchLike } from '@modelcontextprotocol/client';
import { McpGateway } from '../../src/core/gateway/gateway';
import type { McpHub } from '../../src/core/hub';
import { MAX_SOCKETS_PER_SERVER, UpstreamPool } from '../../src/core/connection/upstream-pool';
import { startHttpServer, type HttpFixture } from '../fixtures/http-server';
import { tcpRelay } from '../fixtures/tcp-relay';
import { createHub, entries, MemoryLogger, waitForKind } from '../helpers';

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function readAll(body: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    body.setEncoding('utf8');
    body.on('data', (c: string) => (text += c));
    body.on('end', () => resolve(text));
    body.on('error', reject);
  });
}

const forwarded = (id: string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'add', arguments: {} } });
const post = (body: string, signal?: AbortSignal): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body,
  redirect: 'manual',
  ...(signal ? { signal } : {}),
});

describe('UpstreamPool', () => {
  let http: Server;
  let url: string;
  /** Responses the server holds until the test answers them. */
  const held: Array<{ body: string; res: ServerResponse }> = [];
  const received: string[] = [];
  let open = 0;
  let mostOpen = 0;
  let answer: (req: IncomingMessage, body: string, res: ServerResponse) => boolean = () => false;

  before(async () => {
    http = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push(body);
        if (!answer(req, body, res)) held.push({ body, res });
      });
    });
    http.on('connection', (socket: Socket) => {
      mostOpen = Math.max(mostOpen, ++open);
      socket.on('close', () => open--);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  });

  after(async () => {
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  it('opens at most its cap of sockets; the other requests wait and are all answered', async () => {
    answer = () => false;
    held.length = 0;
    mostOpen = open;
    const pool = new UpstreamPool(url, { maxSockets: 2 });
    const responses = Array.from({ length: 6 }, (_, i) => pool.fetch(url, post(`{"n":${i}}`)));
    let done = 0;
    while (done < 6) {
      await until(() => held.length > 0, 'a request at the server');
      assert.ok(pool.sockets <= 2, `${pool.sockets} sockets open`);
      held.shift()!.res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      done++;
    }
    const statuses = (await Promise.all(responses)).map((r) => r.status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200]);
    assert.ok(mostOpen <= 2, `the server saw ${mostOpen} connections at once`);
    pool.destroy();
  });

  it('a request waiting for a socket is given up when its caller aborts it (its timeout), and never reaches the server', async () => {
    answer = () => false;
    held.length = 0;
    received.length = 0;
    const pool = new UpstreamPool(url, { maxSockets: 1 });
    const first = pool.fetch(url, post('{"n":"first"}'));
    await until(() => held.length === 1, 'the first request at the server');
    const waiting = new AbortController();
    const given = pool.fetch(url, post('{"n":"given up"}', waiting.signal));
    const last = pool.fetch(url, post('{"n":"last"}'));
    waiting.abort(new DOMException('The operation timed out.', 'TimeoutError'));
    await assert.rejects(given, { name: 'TimeoutError' });
    held.shift()!.res.writeHead(200).end();
    await until(() => held.length === 1, 'the last request at the server');
    held.shift()!.res.writeHead(200).end();
    await Promise.all([first, last]);
    assert.deepEqual(received, ['{"n":"first"}', '{"n":"last"}']);
    pool.destroy();
  });

  it('hands a claimed request’s 2xx answer to its claim (the fetch says 202); everything else goes back as a Response', async () => {
    answer = (_req, body, res) => {
      const id = (JSON.parse(body) as { id: string }).id;
      if (id === 'gw-401') res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"', 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
      else if (id === 'gw-sse') res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`event: message\ndata: {"jsonrpc":"2.0","id":"${id}","result":{}}\n\n`);
      else res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(`{"jsonrpc":"2.0","id":"${id}","result":{}}`);
      return true;
    };
    const pool = new UpstreamPool(url);
    const taken: Array<{ kind: string; text: string }> = [];
    const claim = (id: string) => pool.claim(id, (body, kind) => void readAll(body).then((text) => taken.push({ kind, text })));
    for (const id of ['gw-json', 'gw-sse', 'gw-401']) claim(id);

    const json = await pool.fetch(url, post(forwarded('gw-json')));
    assert.equal(json.status, 202);
    const sse = await pool.fetch(url, post(forwarded('gw-sse')));
    assert.equal(sse.status, 202);
    await until(() => taken.length === 2, 'both answers read');
    assert.deepEqual(taken, [
      { kind: 'json', text: '{"jsonrpc":"2.0","id":"gw-json","result":{}}' },
      { kind: 'sse', text: 'event: message\ndata: {"jsonrpc":"2.0","id":"gw-sse","result":{}}\n\n' },
    ]);

    // A 401 goes back to the SDK transport and the hub's OAuth fetch (refresh, sign-in), with its challenge and body.
    const refused = await pool.fetch(url, post(forwarded('gw-401')));
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    assert.equal(await refused.text(), '{"error":"invalid_token"}');
    // Not claimed (or claimed no more): an ordinary Response.
    const plain = await pool.fetch(url, post(forwarded('gw-other')));
    assert.equal(plain.status, 200);
    assert.equal(await plain.text(), '{"jsonrpc":"2.0","id":"gw-other","result":{}}');
    claim('gw-released').release();
    assert.equal((await pool.fetch(url, post(forwarded('gw-released')))).status, 200);
    // A body that only starts like a forwarded request (a response of the hub's to the server) is never claimed.
    claim('gw-answer');
    const reply = await pool.fetch(url, post('{"jsonrpc":"2.0","id":"gw-answer","result":{}}'));
    assert.equal(reply.status, 200);
    assert.equal(taken.length, 2);
    pool.destroy();
  });

  it('sends a forwarded request on the lane (the headers the chain gave the last one, no chain); a refusal goes back through the chain, a 5xx fails once', async () => {
    const seen: Array<{ id: string; authorization: string | undefined }> = [];
    answer = (req, body, res) => {
      const id = (JSON.parse(body) as { id: string }).id;
      seen.push({ id, authorization: req.headers.authorization });
      if (req.headers.authorization === 'Bearer expired') res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
      else if (id === 'gw-fails') res.writeHead(500).end('broken');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(`{"jsonrpc":"2.0","id":"${id}","result":{}}`);
      return true;
    };
    const pool = new UpstreamPool(url);
    const taken: string[] = [];
    const claim = (id: string) => pool.claim(id, (body) => void readAll(body).then((text) => taken.push(text)));
    const viaChain = async (id: string, headers: Record<string, string>) => {
      claim(id);
      const init = post(forwarded(id));
      return pool.fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...headers } });
    };
    const signal = new AbortController().signal;
    assert.equal(pool.sendOnLane(forwarded('gw-none'), signal), undefined, 'no lane before a request went through the chain');

    assert.equal((await viaChain('gw-1', { authorization: 'Bearer expired', 'mcp-session-id': 's1' })).status, 401);
    assert.equal(pool.sendOnLane(forwarded('gw-none'), signal), undefined, 'a refused request makes no lane');
    assert.equal((await viaChain('gw-2', { authorization: 'Bearer fresh', 'mcp-session-id': 's1' })).status, 202);
    claim('gw-3');
    assert.equal(await pool.sendOnLane(forwarded('gw-3'), signal), true);
    await until(() => taken.length === 2, 'both answers claimed');
    assert.deepEqual(seen.at(-1), { id: 'gw-3', authorization: 'Bearer fresh' });

    // The server refuses what the lane sends (the token expired): false, so the caller sends it through the chain; no lane until that was answered.
    answer = (req, body, res) => {
      seen.push({ id: (JSON.parse(body) as { id: string }).id, authorization: req.headers.authorization });
      res.writeHead(401).end();
      return true;
    };
    claim('gw-4');
    assert.equal(await pool.sendOnLane(forwarded('gw-4'), signal), false);
    assert.equal(pool.sendOnLane(forwarded('gw-none'), signal), undefined);

    // A 5xx may have done the work: the call fails, nothing is sent again.
    answer = (req, body, res) => {
      const id = (JSON.parse(body) as { id: string }).id;
      seen.push({ id, authorization: req.headers.authorization });
      if (id === 'gw-fails') res.writeHead(500).end('broken');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(`{"jsonrpc":"2.0","id":"${id}","result":{}}`);
      return true;
    };
    assert.equal((await viaChain('gw-5', { authorization: 'Bearer fresh' })).status, 202);
    claim('gw-fails');
    await assert.rejects(pool.sendOnLane(forwarded('gw-fails'), signal)!, /HTTP 500/);
    assert.equal(seen.filter((s) => s.id === 'gw-fails').length, 1);
    assert.equal(pool.sendOnLane(forwarded('gw-none'), signal), undefined);

    // A DPoP proof is made for one request only: a request that carried one leaves no lane.
    assert.equal((await viaChain('gw-6', { authorization: 'DPoP token', dpop: 'proof' })).status, 202);
    assert.equal(pool.sendOnLane(forwarded('gw-none'), signal), undefined);
    // Nor does a connection that changed (a new session): resetLane.
    assert.equal((await viaChain('gw-7', { authorization: 'Bearer fresh' })).status, 202);
    pool.resetLane();
    assert.equal(pool.sendOnLane(forwarded('gw-none'), signal), undefined);
    pool.destroy();
  });

  it('never sends a call twice: a kept-alive connection reset after the server read the request fails it, on the lane or through the chain', async () => {
    const seen: string[] = [];
    answer = (req, body, res) => {
      const id = (JSON.parse(body) as { id: string }).id;
      seen.push(id);
      // The server read the call (and may have run the tool), then the connection broke before its answer.
      if (id.startsWith('gw-reset')) req.socket.destroy();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(`{"jsonrpc":"2.0","id":"${id}","result":{}}`);
      return true;
    };
    const pool = new UpstreamPool(url);
    const taken: string[] = [];
    const claim = (id: string) => pool.claim(id, (body) => void readAll(body).then((text) => taken.push(text)));
    claim('gw-warm');
    assert.equal((await pool.fetch(url, post(forwarded('gw-warm')))).status, 202);
    await until(() => taken.length === 1, 'the first answer');
    // Through the chain, on the connection the first call left open.
    claim('gw-reset-chain');
    await assert.rejects(pool.fetch(url, post(forwarded('gw-reset-chain'))), (error: unknown) => error instanceof TypeError && error.message === 'fetch failed');
    // On the lane, also on a kept-alive connection.
    claim('gw-warm-2');
    assert.equal((await pool.fetch(url, post(forwarded('gw-warm-2')))).status, 202);
    await until(() => taken.length === 2, 'the second answer');
    claim('gw-reset-lane');
    await assert.rejects(pool.sendOnLane(forwarded('gw-reset-lane'), new AbortController().signal)!, /fetch failed/);
    assert.deepEqual(
      seen.filter((id) => id.startsWith('gw-reset')),
      ['gw-reset-chain', 'gw-reset-lane'],
      'each call reached the server once',
    );
    pool.destroy();
  });

  it('leaves to the fallback what is not the server’s own MCP traffic', async () => {
    const seen: string[] = [];
    const fallback: FetchLike = async (input) => {
      seen.push(String(input));
      return new Response('fallback');
    };
    const pool = new UpstreamPool(url, { fallback });
    const origin = new URL(url).origin;
    await pool.fetch('https://auth.example.com/token', post('grant_type=refresh_token'));
    await pool.fetch(`${origin}/.well-known/oauth-protected-resource/mcp`, { method: 'GET', redirect: 'manual' });
    await pool.fetch(`${origin}/token`, post('grant_type=authorization_code&code=x'));
    await pool.fetch(url, { method: 'POST', body: '{}' }); // redirects not left to the caller
    assert.equal(seen.length, 4);
    pool.destroy();
    await pool.fetch(url, post('{}'));
    assert.equal(seen.length, 5);
  });

  it('fails as fetch fails when the server cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const pool = new UpstreamPool(`http://127.0.0.1:${port}/mcp`);
    await assert.rejects(pool.fetch(`http://127.0.0.1:${port}/mcp`, post('{}')), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.equal(error.message, 'fetch failed');
      assert.equal((error.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
      return true;
    });
    pool.destroy();
  });

  it('sends a request that may go twice again, on a new connection, when the server closed the kept-alive sockets it was about to reuse', async () => {
    // Each connection answers its first request and is closed by the server on its next one, as a
    // server closing idle sockets does just as the client reuses them.
    let connections = 0;
    const answered: string[] = [];
    const server = createNetServer((socket) => {
      connections++;
      let requests = 0;
      socket.on('data', (chunk: Buffer) => {
        if (!chunk.toString('latin1').includes('\r\n\r\n')) return;
        if (++requests > 1) return void socket.destroy();
        const body = JSON.stringify({ jsonrpc: '2.0', id: 1, result: {} });
        answered.push(String(connections));
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n${body}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
    const pool = new UpstreamPool(target);
    try {
      // Two requests at once leave two kept-alive sockets; both are closed on their next request.
      const first = await Promise.all([pool.fetch(target, post('{"a":1}')), pool.fetch(target, post('{"a":2}'))]);
      for (const response of first) await response.text();
      assert.equal(connections, 2);
      // The SDK's DELETE of its session may go twice (a POST never does: see the test above).
      const response = await pool.fetch(target, { method: 'DELETE', headers: { 'mcp-session-id': 's' }, redirect: 'manual' });
      assert.equal(response.status, 200);
      assert.deepEqual(JSON.parse(await response.text()), { jsonrpc: '2.0', id: 1, result: {} });
      assert.equal(connections, 3, 'the retry went on a connection of its own');
    } finally {
      pool.destroy();
      server.close();
    }
  });
});

describe('the gateway under load: one server, 200 concurrent calls', () => {
  const logger = new MemoryLogger();
  const TOKEN = 'gw-token-pool-0123456789abcdef0123456789abc';
  let upstream: HttpFixture;
  let counter: TcpServer;
  let open = 0;
  let mostOpen = 0;
  let hub: McpHub;
  let gateway: McpGateway;

  before(async () => {
    upstream = await startHttpServer({ name: 'loaded' });
    // A TCP relay in front of the server counts the connections the hub opens to it.
    counter = tcpRelay(upstream.port, (socket) => {
      mostOpen = Math.max(mostOpen, ++open);
      socket.on('close', () => open--);
    });
    await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
    hub = createHub({ logger });
    await hub.applyConfig(entries({ loaded: { url: `http://127.0.0.1:${(counter.address() as AddressInfo).port}/mcp` } }), { trusted: true });
    await waitForKind(hub, 'loaded', 'running');
    gateway = new McpGateway(hub, { token: () => TOKEN, version: '0', logger });
    await gateway.start();
  });

  after(async () => {
    await gateway.stop();
    await hub.dispose();
    counter.close();
    await upstream.close();
  });

  it('answers every call, on at most MAX_SOCKETS_PER_SERVER connections to the server', async () => {
    const clients = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const client = new Client({ name: 'load', version: '0' });
        await client.connect(new StreamableHTTPClientTransport(new URL(gateway.url('loaded')), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
        return client;
      }),
    );
    mostOpen = open;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => clients[i % 4].callTool({ name: 'add', arguments: { a: i, b: 1 } })));
    results.forEach((r, i) => {
      assert.notEqual(r.isError, true, JSON.stringify(r.content));
      assert.equal((r.content as Array<{ text: string }>)[0].text, String(i + 1));
    });
    assert.ok(mostOpen <= MAX_SOCKETS_PER_SERVER, `the hub had ${mostOpen} connections open to the server at once`);
    await Promise.all(clients.map((c) => c.close()));
  });
});

describe('UpstreamPool for a server elsewhere (Node’s fetch)', () => {
  it('keeps at most its cap of requests in flight, each counted until its body ends; a waiting request given up never goes', async () => {
    const bodies: Array<ReadableStreamDefaultController<Uint8Array>> = [];
    const sent: string[] = [];
    const fallback: FetchLike = async (_input, init) => {
      sent.push(init?.body as string);
      return new Response(new ReadableStream<Uint8Array>({ start: (c) => void bodies.push(c) }), { headers: { 'content-type': 'text/event-stream' } });
    };
    const url = 'https://mcp.example.com/mcp';
    const pool = new UpstreamPool(url, { maxSockets: 2, fallback });
    const first = await pool.fetch(url, post('1'));
    await pool.fetch(url, post('2'));
    const waiting = new AbortController();
    const given = pool.fetch(url, post('given up', waiting.signal));
    const third = pool.fetch(url, post('3'));
    waiting.abort(new DOMException('The operation timed out.', 'TimeoutError'));
    await assert.rejects(given, { name: 'TimeoutError' });
    assert.deepEqual(sent, ['1', '2']);
    // The first answer's stream ends (read to its end): the next request goes.
    const reading = first.text();
    bodies[0].close();
    assert.equal(await reading, '');
    await third;
    assert.deepEqual(sent, ['1', '2', '3']);
    pool.destroy();
  });
});
