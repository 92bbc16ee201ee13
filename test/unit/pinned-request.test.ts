import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { describe, it } from 'node:test';
import { pinnedRequest } from '../../src/core/oauth/pinned-request';

describe('pinnedRequest', () => {
  it('connects to the address its lookup hands out, whatever the name, and returns a standard Response', async () => {
    const seen: Array<{ method?: string; host?: string; body: string; type?: string; length?: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, host: req.headers.host, body, type: req.headers['content-type'], length: req.headers['content-length'] });
        res.writeHead(200, { 'content-type': 'application/json', 'x-two': 'a' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const lookups: string[] = [];
    const lookup = ((hostname: string, _options: unknown, callback: (e: Error | null, a: string | { address: string; family: number }[], f?: number) => void) => {
      lookups.push(hostname);
      callback(null, [{ address: '127.0.0.1', family: 4 }]);
    }) as unknown as LookupFunction;
    try {
      const send = pinnedRequest(lookup);
      const r = await send(new URL(`http://as.example.test:${port}/token`), { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) });
      assert.equal(r.status, 200);
      assert.deepEqual(await r.json(), { ok: true });
      assert.equal(r.headers.get('x-two'), 'a');
      assert.deepEqual(lookups, ['as.example.test'], 'one resolution, through the guard');
      assert.deepEqual(seen, [
        { method: 'POST', host: `as.example.test:${port}`, body: 'grant_type=client_credentials', type: 'application/x-www-form-urlencoded;charset=UTF-8', length: '29' },
      ]);
    } finally {
      server.close();
    }
  });

  it("rejects with the lookup's refusal, and with the signal's reason on timeout", async () => {
    const refusing = ((_h: string, _o: unknown, cb: (e: Error | null) => void) => cb(new Error('refused by the guard'))) as unknown as LookupFunction;
    await assert.rejects(pinnedRequest(refusing)(new URL('http://evil.example.test/'), {}), /refused by the guard/);
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as AddressInfo).port;
    const loopback = ((_h: string, _o: unknown, cb: (e: Error | null, a: { address: string; family: number }[]) => void) =>
      cb(null, [{ address: '127.0.0.1', family: 4 }])) as unknown as LookupFunction;
    try {
      await assert.rejects(pinnedRequest(loopback)(new URL(`http://slow.example.test:${port}/`), { signal: AbortSignal.timeout(100) }), (e: Error) => e.name === 'TimeoutError');
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
