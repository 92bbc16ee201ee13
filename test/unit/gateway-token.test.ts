// The gateway's token in secret storage: the change event that our own writes fire (the first token
// of a fresh profile, a rotation in this window) restarts nothing; another window's rotation does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GATEWAY_TOKEN_KEY, GatewayToken } from '../../src/core/gateway/token';
import { MemorySecretStore } from '../../src/core/oauth/token-store';

/** The changes one window hears, each with whether it calls for a restart. */
function listen(store: MemorySecretStore, token: GatewayToken) {
  const heard: Array<Promise<boolean>> = [];
  store.onDidChange((key) => heard.push(token.changedElsewhere(key)));
  const settle = async () => {
    await new Promise((r) => setImmediate(r));
    return Promise.all(heard.splice(0));
  };
  return settle;
}

describe('the gateway token in secret storage', () => {
  it('storing the first token in a fresh profile calls for no restart', async () => {
    const store = new MemorySecretStore();
    const window = new GatewayToken(store);
    const heard = listen(store, window);
    const token = await window.current();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await store.get(GATEWAY_TOKEN_KEY), token);
    assert.deepEqual(await heard(), [false], 'the event fired, and it was our own write');
    assert.equal(await window.current(), token, 'kept');
    assert.deepEqual(await heard(), []);
  });

  it("another window's rotation calls for a restart with its token; a rotation here does not", async () => {
    const store = new MemorySecretStore();
    const a = new GatewayToken(store);
    const b = new GatewayToken(store);
    const heardA = listen(store, a);
    const heardB = listen(store, b);
    const first = await a.current();
    assert.equal(await b.current(), first, 'the second window uses the same token');
    assert.deepEqual(await heardA(), [false]);
    await heardB();

    const rotated = await b.replace();
    assert.notEqual(rotated, first);
    assert.deepEqual(await heardA(), [true], 'A restarts with the new token');
    assert.deepEqual(await heardB(), [false], 'B, which rotated it, does not restart again');
    assert.equal(await a.current(), rotated);
    assert.deepEqual(await heardA(), []);
  });

  it('ignores the other keys of secret storage (OAuth sessions, inputs)', async () => {
    const store = new MemorySecretStore();
    const window = new GatewayToken(store);
    const heard = listen(store, window);
    await window.current();
    await heard();
    await store.store('mcpHub.oauth/example.com', '{}');
    assert.deepEqual(await heard(), [false]);
  });

  it('a token too short to be ours is replaced', async () => {
    const store = new MemorySecretStore();
    await store.store(GATEWAY_TOKEN_KEY, 'short');
    const token = await new GatewayToken(store).current();
    assert.notEqual(token, 'short');
    assert.equal(await store.get(GATEWAY_TOKEN_KEY), token);
  });
});
