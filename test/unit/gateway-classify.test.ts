// The gateway's shortcut past the SDK's era classifier (plainClassicRequest): whatever it calls a
// plain classic request, classifyInboundRequest calls legacy too, over hand-picked and random bodies.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyInboundRequest, PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';
import { plainClassicRequest } from '../../src/core/gateway/gateway';

const sdkSays = (body: unknown, header?: string) => classifyInboundRequest({ httpMethod: 'POST', body, ...(header === undefined ? {} : { protocolVersionHeader: header }) }).kind;

describe('plainClassicRequest', () => {
  it('takes plain classic requests, and leaves everything else to the SDK', () => {
    const call = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'add', arguments: { a: 1 } } };
    const taken: Array<[unknown, string | undefined]> = [
      [call, undefined],
      [call, '2025-11-25'],
      [{ jsonrpc: '2.0', id: 'a', method: 'tools/list' }, '2025-06-18'],
      [{ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } } }, undefined],
    ];
    for (const [body, header] of taken) {
      assert.equal(plainClassicRequest(body, header), true, JSON.stringify(body));
      assert.equal(sdkSays(body, header), 'legacy', JSON.stringify(body));
    }
    const left: Array<[unknown, string | string[] | undefined]> = [
      [call, '2026-07-28'],
      [call, 'nonsense'],
      [call, ['2025-11-25', '2025-11-25']],
      [{ ...call, params: { ...call.params, _meta: { [PROTOCOL_VERSION_META_KEY]: '2026-07-28' } } }, undefined],
      [{ ...call, params: { ...call.params, _meta: { progressToken: 1 } } }, undefined],
      [{ jsonrpc: '2.0', method: 'notifications/initialized' }, undefined],
      [{ jsonrpc: '2.0', id: 1, result: {} }, undefined],
      [{ jsonrpc: '2.0', id: 1, method: 'x', result: {} }, undefined],
      [{ jsonrpc: '2.0', id: 1.5, method: 'x' }, undefined],
      [{ jsonrpc: '2.0', id: null, method: 'x' }, undefined],
      [{ jsonrpc: '2.0', id: 2 ** 60, method: 'x' }, undefined],
      [{ jsonrpc: '1.0', id: 1, method: 'x' }, undefined],
      [{ jsonrpc: '2.0', id: 1, method: 'x', params: [1] }, undefined],
      [{ jsonrpc: '2.0', id: 1, method: 'x', params: null }, undefined],
      [{ jsonrpc: '2.0', id: 1, method: 'x', extra: true }, undefined],
      [[call], undefined],
      ['text', undefined],
      [null, undefined],
    ];
    for (const [body, header] of left) assert.equal(plainClassicRequest(body, header), false, `${JSON.stringify(body)} ${String(header)}`);
  });

  it('never calls legacy what the SDK calls otherwise (random bodies)', () => {
    // mulberry32: the same bodies every run.
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)];
    const values: readonly unknown[] = [
      undefined,
      null,
      1,
      1.5,
      -3,
      2 ** 60,
      'x',
      '',
      true,
      [],
      [1],
      {},
      { _meta: {} },
      { _meta: { [PROTOCOL_VERSION_META_KEY]: '2026-07-28' } },
      { name: 'a' },
    ];
    const headers = [undefined, '2025-11-25', '2025-03-26', '2026-07-28', '2099-01-01', 'x', ''];
    let taken = 0;
    for (let i = 0; i < 5000; i++) {
      const body: Record<string, unknown> = {};
      if (rnd(10) > 0) body.jsonrpc = pick(['2.0', '2.0', '2.0', '1.0', 2]);
      if (rnd(4) > 0) body.id = pick([1, 0, 'id', 1.5, null, 2 ** 60, -1, {}]);
      if (rnd(6) > 0) body.method = pick(['tools/call', 'initialize', 'ping', 'notifications/cancelled', 5]);
      if (rnd(2) > 0) body.params = pick(values);
      if (rnd(12) === 0) body[pick(['result', 'error', 'extra'])] = pick(values);
      const header = pick(headers);
      if (!plainClassicRequest(body, header)) continue;
      taken++;
      assert.equal(sdkSays(body, header), 'legacy', `${JSON.stringify(body)} ${String(header)}`);
    }
    assert.ok(taken > 100, `only ${taken} random bodies were plain classic requests`);
  });
});
