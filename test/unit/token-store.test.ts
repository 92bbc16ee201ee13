// The token store over an in-memory secret storage: sessions per resource in one secret per host,
// damaged secrets kept aside rather than overwritten, secrets of a newer MCP Hub left alone, a
// failing secret storage reported as a typed error, issuer bindings that outlive logout, and every
// stored secret handed to the scrubber.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthFlowError } from '../../src/core/oauth/errors';
import { CORRUPT_PREFIX, MemorySecretStore, TokenStore, secretKeyFor, type OAuthSession } from '../../src/core/oauth/token-store';
import type { Logger, SecretStore } from '../../src/core/ports';
import { scrubber } from '../../src/core/scrub';

const A = 'https://mcp.example.com/a';
const B = 'https://mcp.example.com/b';
const KEY = secretKeyFor(A);

const session = (access: string): OAuthSession => ({ resource: '', tokens: { access_token: access, token_type: 'Bearer' }, updatedAt: 0 });

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string) => void lines.push(m);
  return { lines, trace: push, debug: push, info: push, warn: push, error: push };
}

/** A SecretStore whose every call fails, as VS Code's does when the keyring is locked. */
class BrokenSecretStore implements SecretStore {
  async get(): Promise<string | undefined> {
    throw new Error('keyring locked; cannot read at-7A1xq9secret');
  }
  async store(): Promise<void> {
    throw new Error('keyring locked');
  }
  async delete(): Promise<void> {
    throw new Error('keyring locked');
  }
  onDidChange() {
    return { dispose() {} };
  }
}

describe('token store', () => {
  it('keeps the sessions of two servers on one host apart, and deletes the secret with the last one', async () => {
    const secrets = new MemorySecretStore();
    const store = new TokenStore(secrets);
    await store.update(A, () => session('access-token-a-0001'));
    await store.update(B, () => session('access-token-b-0002'));
    assert.equal((await store.get(A))?.tokens?.access_token, 'access-token-a-0001');
    assert.equal((await store.get(B))?.resource, B);
    assert.deepEqual(secrets.keys(), [KEY]);
    assert.equal(JSON.parse((await secrets.get(KEY))!).v, 1);
    await store.delete(A);
    assert.equal(await store.get(A), undefined);
    assert.ok(await store.get(B));
    await store.delete(B);
    assert.deepEqual(secrets.keys(), []);
    assert.deepEqual(await store.tryGet(A), {});
  });

  it('moves a damaged secret aside (newest only) before anything replaces it, and logs none of it', async () => {
    for (const damaged of [
      '{not json',
      '[]',
      '"text"',
      '{"v":1}',
      '{"v":1,"sessions":[]}',
      '{"v":1,"sessions":{"x":7}}',
      '{"sessions":{}}',
      '{"v":"1","sessions":{}}',
      '{"v":1,"sessions":{},"bindings":{"c":5}}',
    ]) {
      const secrets = new MemorySecretStore();
      const logger = recordingLogger();
      const store = new TokenStore(secrets, { logger });
      await secrets.store(KEY, damaged);
      assert.equal(await store.get(A), undefined, damaged);
      assert.equal(await secrets.get(CORRUPT_PREFIX + 'mcp.example.com'), damaged, 'kept as it was');
      assert.equal(await secrets.get(KEY), damaged, 'a read does not write the host secret');
      await store.update(A, () => session('access-token-a-0003'));
      assert.equal((await store.get(A))?.tokens?.access_token, 'access-token-a-0003');
      assert.equal(await secrets.get(CORRUPT_PREFIX + 'mcp.example.com'), damaged, 'the backup outlives the write');
      assert.equal(logger.lines.length, 1, damaged);
      assert.match(logger.lines[0], /mcp\.example\.com was unreadable/);
      assert.ok(!logger.lines[0].includes(damaged), 'no content in the log');
    }
    const secrets = new MemorySecretStore();
    const store = new TokenStore(secrets);
    await secrets.store(KEY, 'first damage');
    await store.get(A);
    await secrets.store(KEY, 'second damage');
    await store.get(A);
    assert.equal(await secrets.get(CORRUPT_PREFIX + 'mcp.example.com'), 'second damage');
    assert.equal(secrets.keys().filter((k) => k.startsWith(CORRUPT_PREFIX)).length, 1);
  });

  it('never overwrites a secret saved by a newer MCP Hub', async () => {
    const secrets = new MemorySecretStore();
    const store = new TokenStore(secrets);
    const newer = JSON.stringify({ v: 2, hosts: { anything: true } });
    await secrets.store(KEY, newer);
    assert.equal(await store.get(A), undefined);
    assert.equal(await store.boundIssuer(A, 'client'), undefined);
    const expected = (e: unknown) => {
      assert.ok(e instanceof OAuthFlowError);
      assert.equal(e.code, 'store_newer_version');
      assert.equal(e.message, 'The sign-in for mcp.example.com was saved by a newer version of MCP Hub; update MCP Hub to use it.');
      return true;
    };
    await assert.rejects(
      store.update(A, () => session('access-token-a-0004')),
      expected,
    );
    await assert.rejects(store.delete(A), expected);
    await assert.rejects(store.bindIssuer(A, 'client', 'https://as.example.com'), expected);
    assert.ok(expected((await store.tryGet(A)).error));
    assert.equal(await secrets.get(KEY), newer);
    assert.deepEqual(secrets.keys(), [KEY]);
  });

  it('turns secret storage failures into store_unavailable, and tryGet never throws', async () => {
    const store = new TokenStore(new BrokenSecretStore());
    const expected = (e: unknown) => {
      assert.ok(e instanceof OAuthFlowError);
      assert.equal(e.code, 'store_unavailable');
      assert.match(e.message, /^VS Code secret storage is not available \(.+\), so the sign-in for mcp\.example\.com could not be (read|saved)\.$/);
      assert.doesNotMatch(e.message, /keyring locked/, 'the cause is detail, not message');
      assert.match(e.detail ?? '', /keyring locked/);
      return true;
    };
    await assert.rejects(store.get(A), expected);
    await assert.rejects(
      store.update(A, () => session('access-token-a-0005')),
      expected,
    );
    await assert.rejects(store.delete(A), expected);
    await assert.rejects(store.boundIssuer(A, 'c'), expected);
    await assert.rejects(store.bindIssuer(A, 'c', 'https://as.example.com'), expected);
    await assert.rejects(store.acquireLease(A, 'me', 1000, 0), expected);
    const tried = await store.tryGet(A);
    assert.equal(tried.session, undefined);
    assert.ok(expected(tried.error));
    // The store keeps working for later calls: the lock chain is not poisoned by a failure.
    const fails = new TokenStore({
      ...new MemorySecretStore(),
      get: async () => undefined,
      store: async () => Promise.reject(new Error('keyring locked for a moment')),
      delete: async () => undefined,
      onDidChange: () => ({ dispose() {} }),
    });
    await assert.rejects(
      fails.update(A, () => session('access-token-a-0006')),
      expected,
    );
    await assert.doesNotReject(fails.delete(A));
  });

  it('binds a client ID to its issuer per host, and the binding outlives logout', async () => {
    const secrets = new MemorySecretStore();
    const store = new TokenStore(secrets);
    assert.equal(await store.boundIssuer(A, 'pre-registered'), undefined);
    await store.bindIssuer(A, 'pre-registered', 'https://as.example.com');
    await store.bindIssuer(A, '__proto__', 'https://proto.example.com');
    assert.equal(await store.boundIssuer(B, 'pre-registered'), 'https://as.example.com', 'per host, not per resource');
    assert.equal(await store.boundIssuer('https://other.example.com/', 'pre-registered'), undefined);
    assert.equal(await store.boundIssuer(A, '__proto__'), 'https://proto.example.com');
    assert.equal(await store.boundIssuer(A, 'constructor'), undefined);
    await store.update(A, () => session('access-token-a-0007'));
    await store.delete(A);
    assert.equal(await store.get(A), undefined);
    assert.equal(await store.boundIssuer(A, 'pre-registered'), 'https://as.example.com', 'logout keeps the binding');
    const stored = JSON.parse((await secrets.get(KEY))!);
    assert.equal(stored.v, 1);
    assert.deepEqual(stored.sessions, {});
    assert.equal(stored.bindings['pre-registered'], 'https://as.example.com');
    await store.bindIssuer(A, 'pre-registered', 'https://as2.example.com');
    assert.equal(await store.boundIssuer(A, 'pre-registered'), 'https://as2.example.com');
  });

  it('serialises bindIssuer with update on the same host', async () => {
    const store = new TokenStore(new MemorySecretStore());
    await Promise.all([
      store.update(A, () => session('access-token-a-0008')),
      store.bindIssuer(A, 'c1', 'https://one.example.com'),
      store.update(B, () => session('access-token-b-0009')),
      store.bindIssuer(B, 'c2', 'https://two.example.com'),
    ]);
    assert.ok(await store.get(A));
    assert.ok(await store.get(B));
    assert.equal(await store.boundIssuer(A, 'c1'), 'https://one.example.com');
    assert.equal(await store.boundIssuer(A, 'c2'), 'https://two.example.com');
  });

  it('keeps fields it does not know when it writes', async () => {
    const secrets = new MemorySecretStore();
    await secrets.store(KEY, JSON.stringify({ v: 1, sessions: {}, futureField: { keep: true } }));
    await new TokenStore(secrets).update(A, () => session('access-token-a-0010'));
    assert.deepEqual(JSON.parse((await secrets.get(KEY))!).futureField, { keep: true });
  });

  it('hands every stored secret to the scrubber, on write and on read', async () => {
    const secrets = new MemorySecretStore();
    const written: OAuthSession = {
      resource: A,
      tokens: { access_token: 'written-access-7Qz1', refresh_token: 'written-refresh-7Qz2', id_token: 'written-id-7Qz3', token_type: 'Bearer' },
      client: { client_id: 'public-id', client_secret: 'written-client-secret-7Qz4' },
      dpopKey: { privateJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'written-dpop-d-7Qz5' } },
      updatedAt: 0,
    };
    await new TokenStore(secrets).update(A, () => written);
    for (const value of ['written-access-7Qz1', 'written-refresh-7Qz2', 'written-id-7Qz3', 'written-client-secret-7Qz4', 'written-dpop-d-7Qz5']) {
      assert.ok(!scrubber.message(`failed with ${value}`).includes(value), value);
    }
    // Another window wrote this one: reading it is enough.
    const other = { ...written, resource: B, tokens: { access_token: 'read-access-8Wx1', refresh_token: 'read-refresh-8Wx2', token_type: 'Bearer' } };
    const stored = JSON.parse((await secrets.get(KEY))!);
    stored.sessions[B] = other;
    await secrets.store(KEY, JSON.stringify(stored));
    await new TokenStore(secrets).get(A);
    for (const value of ['read-access-8Wx1', 'read-refresh-8Wx2']) assert.ok(!scrubber.detail(`body: ${value}`).includes(value), value);
  });

  it('keeps refresh leases working', async () => {
    const secrets = new MemorySecretStore();
    const store = new TokenStore(secrets);
    assert.equal(await store.acquireLease(A, 'w1', 1000, 0), true);
    assert.equal(await store.acquireLease(A, 'w2', 1000, 10), false);
    await store.releaseLease(A, 'w1');
    assert.equal(await store.acquireLease(A, 'w2', 1000, 20), true);
  });
});
