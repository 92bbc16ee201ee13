// A hostile local process or web page against the loopback callback server of a sign-in in
// progress. Every request is answered, none ends or stalls the flow, no response reflects the
// request, no log line carries the state or a code, and the process never throws.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { CallbackServer, MAX_HEADER_BYTES, MAX_TARGET_LENGTH, REQUEST_TIMEOUT_MS } from '../../src/core/oauth/callback-server';
import { OAuthFlowError } from '../../src/core/oauth/errors';
import { MemoryLogger } from '../helpers';

const STATE = 'Zq7RstUvW8xYz0aBcDeFgHiJkLmNoPqRsTuVwXyZ012';
const ISSUER = 'http://127.0.0.2:9000';
const ISS = `iss=${encodeURIComponent(ISSUER)}`;
/** Values that must never appear in a response or a log line. */
const SECRETS = [STATE, 'sekret-code-4711'];

const count = { hostile: 0, flowsEnded: 0, reflections: 0, secretsSeen: 0, uncaught: 0, serverErrors: 0 };
const logger = new MemoryLogger();
const onUncaught = () => count.uncaught++;
process.on('uncaughtException', onUncaught);
process.on('unhandledRejection', onUncaught);

const servers: CallbackServer[] = [];

async function armed() {
  const server = await CallbackServer.start({ logger });
  servers.push(server);
  server.expect(STATE, ISSUER, true);
  const result = server.result();
  result.catch(() => undefined);
  return { server, result };
}

async function waiting(p: Promise<unknown>): Promise<boolean> {
  return Promise.race([
    p.then(
      () => false,
      () => false,
    ),
    new Promise<boolean>((r) => setTimeout(() => r(true), 30)),
  ]);
}

/** A raw connection whose reply (status 0 if none came) resolves once the server closes it. */
function open(port: number): { socket: Socket; reply: Promise<{ status: number; response: string }> } {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c) => chunks.push(c));
  socket.on('error', () => undefined); // a reset is an answer too
  const reply = new Promise<{ status: number; response: string }>((resolve) =>
    socket.on('close', () => {
      const response = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1] ?? 0), response });
    }),
  );
  return { socket, reply };
}

/** Writes `parts` (numbers are pauses in ms) on a new raw connection and resolves with the reply. */
function send(port: number, ...parts: Array<string | number>): Promise<{ status: number; response: string }> {
  const { socket, reply } = open(port);
  void (async () => {
    for (const part of parts) {
      if (socket.destroyed) return;
      if (typeof part === 'number') await new Promise((r) => setTimeout(r, part));
      else socket.write(part);
    }
  })();
  return reply;
}

const get = (target: string, headers: Record<string, string>, port: number) =>
  `GET ${target} HTTP/1.1\r\nHost: ${headers.Host ?? `127.0.0.1:${port}`}\r\n` +
  Object.entries(headers)
    .filter(([k]) => k !== 'Host')
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('') +
  (headers.Connection ? '' : 'Connection: close\r\n') +
  '\r\n';

interface Hostile {
  readonly category: string;
  readonly name: string;
  /** The raw request (or requests with pauses) for a server on `port`. */
  readonly request: (port: number) => Array<string | number>;
  /** Text of the request that must not come back. */
  readonly marks: readonly string[];
  readonly status: number | readonly number[];
}

const valid = `/callback?code=sekret-code-4711&state=${STATE}&${ISS}`;
const HOSTILE: Hostile[] = [
  // Request targets the URL parser would throw on.
  ...[
    '//evil.example:99999/callback',
    'http://x:99999/',
    '*',
    `http://127.0.0.1:1/callback?code=mark1&state=${STATE}&${ISS}`,
    '/callback?code=mark2&state=%zz',
    '/callback?code=mark3&state=%ff%fe%fd',
  ].map((target): Hostile => ({ category: 'malformed target', name: target.slice(0, 40), request: (p) => [get(target, {}, p)], marks: ['evil', '99999', 'mark'], status: 400 })),
  { category: 'malformed target', name: 'not HTTP', request: () => ['HELLO <script>mark4</script>\r\n\r\n'], marks: ['script', 'mark4'], status: 400 },
  { category: 'malformed target', name: 'NUL in target', request: (p) => [`GET /callback?x=\0mark5 HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n\r\n`], marks: ['mark5'], status: 400 },
  // state
  { category: 'state', name: 'wrong', request: (p) => [get(`/callback?code=mark6&state=wrong-${STATE}&${ISS}`, {}, p)], marks: ['mark6', 'wrong'], status: 400 },
  { category: 'state', name: 'missing', request: (p) => [get(`/callback?code=mark7&${ISS}`, {}, p)], marks: ['mark7'], status: 400 },
  { category: 'state', name: 'empty', request: (p) => [get(`/callback?code=mark8&state=&${ISS}`, {}, p)], marks: ['mark8'], status: 400 },
  { category: 'state', name: 'duplicate', request: (p) => [get(`${valid}&state=${STATE}`, {}, p)], marks: ['sekret'], status: 400 },
  { category: 'state', name: 'duplicate, second wrong', request: (p) => [get(`${valid}&state=mark9`, {}, p)], marks: ['mark9'], status: 400 },
  { category: 'state', name: 'duplicate code', request: (p) => [get(`${valid}&code=mark10`, {}, p)], marks: ['mark10'], status: 400 },
  { category: 'state', name: 'duplicate iss', request: (p) => [get(`${valid}&iss=mark11`, {}, p)], marks: ['mark11'], status: 400 },
  { category: 'state', name: 'prefix of state', request: (p) => [get(`/callback?code=mark12&state=${STATE.slice(0, 20)}&${ISS}`, {}, p)], marks: ['mark12'], status: 400 },
  // Other paths and methods.
  { category: 'path/method', name: 'other path', request: (p) => [get(`/mark13?code=c&state=${STATE}&${ISS}`, {}, p)], marks: ['mark13'], status: 400 },
  { category: 'path/method', name: 'encoded path', request: (p) => [get(`/%63allback?code=mark14&state=${STATE}&${ISS}`, {}, p)], marks: ['mark14'], status: 400 },
  { category: 'path/method', name: 'path with suffix', request: (p) => [get(`/callback/mark15?code=c&state=${STATE}&${ISS}`, {}, p)], marks: ['mark15'], status: 400 },
  { category: 'path/method', name: 'POST', request: (p) => [`POST ${valid} HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nContent-Length: 6\r\n\r\nmark16`], marks: ['mark16'], status: 405 },
  { category: 'path/method', name: 'HEAD', request: (p) => [`HEAD ${valid} HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n\r\n`], marks: [], status: 405 },
  { category: 'path/method', name: 'OPTIONS *', request: (p) => [`OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n\r\n`], marks: [], status: 405 },
  { category: 'path/method', name: 'CONNECT', request: (p) => [`CONNECT evil.example:443 HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n\r\n`], marks: ['evil'], status: 405 },
  {
    category: 'path/method',
    name: 'websocket upgrade',
    request: (p) => [get(valid, { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'bWFyazI5bWFyazI5bWFyaw==' }, p)],
    marks: ['sekret', 'bWFy'],
    status: 400,
  },
  // Oversized.
  { category: 'oversized', name: 'URL', request: (p) => [get(`/callback?state=${STATE}&mark17=${'a'.repeat(MAX_TARGET_LENGTH)}`, {}, p)], marks: ['mark17'], status: 414 },
  { category: 'oversized', name: 'URL past the header cap', request: (p) => [get(`/callback?mark18=${'a'.repeat(MAX_HEADER_BYTES)}`, {}, p)], marks: ['mark18'], status: 431 },
  { category: 'oversized', name: 'one header', request: (p) => [get(valid, { 'X-Mark19': 'b'.repeat(MAX_HEADER_BYTES) }, p)], marks: ['mark19', 'sekret'], status: 431 },
  {
    category: 'oversized',
    name: 'many headers',
    request: (p) => [get(valid, Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`X-M${i}`, 'mark20'])), p)],
    marks: ['mark20', 'sekret'],
    status: 431,
  },
  // DNS rebinding: a page on evil.example resolved to 127.0.0.1.
  ...['evil.example', 'evil.example:PORT', '127.0.0.1', '127.0.0.2:PORT', '[::1]:PORT', 'localhost.evil.example:PORT', '127.0.0.1:PORT.evil.example'].map((host): Hostile => ({
    category: 'host',
    name: host,
    request: (p) => [get(valid, { Host: host.replace('PORT', String(p)) }, p)],
    marks: ['evil', 'sekret'],
    status: 421,
  })),
  { category: 'host', name: 'HTTP/1.0 without Host', request: () => [`GET ${valid} HTTP/1.0\r\n\r\n`], marks: ['sekret'], status: 421 },
  // A page's fetch, XHR or form rather than a top-level navigation.
  ...(
    [
      { Origin: 'https://evil.example' },
      { Origin: 'null' },
      { 'Sec-Fetch-Mode': 'cors' },
      { 'Sec-Fetch-Mode': 'no-cors' },
      { 'Sec-Fetch-Mode': 'same-origin' },
      { 'Sec-Fetch-Mode': 'websocket' },
      { 'Sec-Fetch-Mode': 'navigate', Origin: 'https://evil.example' },
    ] as Array<Record<string, string>>
  ).map((headers): Hostile => ({ category: 'cors', name: JSON.stringify(headers), request: (p) => [get(valid, headers, p)], marks: ['evil', 'sekret'], status: 403 })),
];

/** Half-sent requests: the server must drop them by itself, without the flow ending. */
const SLOW: Hostile[] = [
  { category: 'slow', name: 'stops after the request line', request: (p) => [`GET ${valid} HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n`], marks: ['sekret'], status: [0, 408] },
  { category: 'slow', name: 'connects and sends nothing', request: () => [], marks: [], status: [0, 408] },
  {
    category: 'slow',
    name: 'drips a header every 2 s',
    request: (p) => [`GET ${valid} HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n`, ...Array.from({ length: 10 }, (_, i) => [2_000, `X-Drip-${i}: mark21\r\n`]).flat()],
    marks: ['mark21'],
    status: [0, 408],
  },
];

/** Authorization-server errors carrying markup or command links: they end the flow, in our words. */
const SERVER_ERRORS: Array<{ error: string; description: string; code: string; message: string }> = [
  {
    error: 'access_denied',
    description: '<a href="command:workbench.action.terminal.new">Click</a> mark22',
    code: 'authorization_denied',
    message: 'The authorization server refused the sign-in (access_denied).',
  },
  {
    error: 'access_denied',
    description: '[Open](command:mcpHub.mark23?%5B%22x%22%5D) <img src=x onerror=alert(1)>',
    code: 'authorization_denied',
    message: 'The authorization server refused the sign-in (access_denied).',
  },
  { error: '<script>mark24</script>', description: 'mark30', code: 'authorization_denied', message: 'The authorization server refused the sign-in.' },
  { error: 'invalid_scope', description: '$(alert) mark25 \u202e', code: 'invalid_scope', message: 'The authorization server refused the requested scope (invalid_scope).' },
  {
    error: 'server_error',
    description: `${'very long '.repeat(500)}mark26`,
    code: 'authorization_denied',
    message: 'The authorization server refused the sign-in (server_error).',
  },
];

function judgeResponse(h: Pick<Hostile, 'marks' | 'status' | 'name'>, reply: { status: number; response: string }): void {
  const allowed = typeof h.status === 'number' ? [h.status] : h.status;
  assert.ok(allowed.includes(reply.status), `${h.name}: status ${reply.status}`);
  const body = reply.response.toLowerCase();
  if ([...h.marks, ...SECRETS].some((m) => body.includes(m.toLowerCase()))) count.reflections++;
  if (SECRETS.some((s) => reply.response.includes(s))) count.secretsSeen++;
}

describe('hostile requests to the callback server', () => {
  after(() => Promise.all(servers.map((s) => s.close())));
  after(() => {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    count.secretsSeen += logger.lines.filter((l) => SECRETS.some((s) => l.includes(s))).length;
    assert.equal(count.secretsSeen, 0, 'no log line carries the state or a code');
    assert.equal(count.uncaught, 0);
    console.log(
      `security[callback]: hostile requests ${count.hostile}, flows ended ${count.flowsEnded}, reflections ${count.reflections}, secrets seen ${count.secretsSeen}, server errors told in our words ${count.serverErrors}`,
    );
  });

  it('answers every one with a fixed 4xx, reflects nothing, and keeps the flow waiting', async () => {
    const { server, result } = await armed();
    const slow = SLOW.map((h) => ({ h, reply: send(server.port, ...h.request(server.port)), started: Date.now() }));
    for (const h of HOSTILE) {
      count.hostile++;
      judgeResponse(h, await send(server.port, ...h.request(server.port)));
      if (!(await waiting(result))) count.flowsEnded++;
    }
    for (const { h, reply, started } of slow) {
      count.hostile++;
      judgeResponse(h, await reply);
      assert.ok(Date.now() - started < REQUEST_TIMEOUT_MS + 5_000, `${h.name}: dropped in time`);
      if (!(await waiting(result))) count.flowsEnded++;
    }
    assert.equal(count.flowsEnded, 0);
    assert.equal(count.reflections, 0);
    // The flow is still usable: the real redirect completes it.
    const ok = await send(server.port, get(valid, { 'Sec-Fetch-Mode': 'navigate' }, server.port));
    assert.equal(ok.status, 200);
    assert.deepEqual(await result, { code: 'sekret-code-4711', iss: ISSUER });
  });

  it('changes nothing on a replay or a second, different redirect after success', async () => {
    const { server, result } = await armed();
    const early = open(server.port);
    await new Promise((r) => early.socket.once('connect', r));
    assert.equal((await send(server.port, get(valid, {}, server.port))).status, 200);
    const replies = [
      (early.socket.destroyed || early.socket.write(get(valid, {}, server.port)), early.reply),
      send(server.port, get(valid, {}, server.port)),
      send(server.port, get(`/callback?code=mark27&state=${STATE}&${ISS}`, {}, server.port)),
    ];
    for (const reply of replies) {
      count.hostile++;
      const r = await reply;
      // The server closes after success, so a refused or reset connection is the usual answer.
      assert.ok(r.status === 0 || r.status === 400, `replay: ${r.status}`);
      if (r.response.includes('mark27') || r.response.includes(STATE)) count.reflections++;
    }
    count.hostile++;
    assert.match(server.acceptPastedUrl(`http://127.0.0.1:${server.port}/callback?code=mark28&state=${STATE}&${ISS}`)!, /already finished/);
    assert.deepEqual(await result, { code: 'sekret-code-4711', iss: ISSUER }, 'the first answer stands');
    assert.equal(count.reflections, 0);
  });

  it('ends the flow on an authorization-server error with our words only, reflecting nothing', async () => {
    for (const e of SERVER_ERRORS) {
      const { server, result } = await armed();
      const query = new URLSearchParams({ error: e.error, error_description: e.description, error_uri: 'command:mcpHub.evil', state: STATE, iss: ISSUER });
      const reply = await send(server.port, get(`/callback?${query.toString()}`, {}, server.port));
      judgeResponse({ name: e.error, status: 400, marks: [e.error, e.description.slice(-6), 'command:', 'onerror'] }, reply);
      await assert.rejects(result, (error: OAuthFlowError) => {
        assert.ok(error instanceof OAuthFlowError);
        assert.equal(error.code, e.code);
        assert.equal(error.message, e.message);
        assert.doesNotMatch(error.detail ?? '', /mcpHub\.evil/, 'error_uri is never used');
        return true;
      });
      count.serverErrors++;
    }
    assert.equal(count.reflections, 0);
  });
});
