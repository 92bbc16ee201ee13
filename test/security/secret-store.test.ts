// A damaged, foreign or failing secret storage against the token store. For every case: nothing
// stored is lost (a damaged secret is kept aside before it is replaced, a newer one is never
// written), failures are typed errors in our words, and no stored secret reaches a message, a
// detail or a log line.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isOAuthFlowError } from '../../src/core/oauth/errors';
import { CORRUPT_PREFIX, MemorySecretStore, TokenStore, secretKeyFor, type OAuthSession } from '../../src/core/oauth/token-store';
import type { SecretStore } from '../../src/core/ports';
import { MemoryLogger } from '../helpers';

const A = 'https://mcp.example.com/a';
const B = 'https://mcp.example.com/b';
const KEY = secretKeyFor(A);
const BACKUP = CORRUPT_PREFIX + 'mcp.example.com';
/** B's session, written by another window; it must survive whatever happens to A. */
const B_TOKEN = 'b-access-token-Vt5qLw0pZr';
const B_SESSION = { resource: B, tokens: { access_token: B_TOKEN, refresh_token: 'b-refresh-token-Hk2nXc9s', token_type: 'Bearer' }, updatedAt: 1 };
const SECRETS = [B_TOKEN, 'b-refresh-token-Hk2nXc9s', 'a-access-token-Qm4sYt7e'];

const count = { hostileSecrets: 0, failingStores: 0, dataLost: 0, secretsSeen: 0 };
const logger = new MemoryLogger();

const aSession = (): OAuthSession => ({ resource: A, tokens: { access_token: 'a-access-token-Qm4sYt7e', token_type: 'Bearer' }, updatedAt: 0 });

/** Counts a stored secret that shows up in text meant for people or logs. */
function exposed(...texts: Array<string | undefined>): void {
  for (const text of texts) if (text && SECRETS.some((s) => text.includes(s))) count.secretsSeen++;
}

const valid = JSON.stringify({ v: 1, sessions: { [B]: B_SESSION } });
/** Stored host secrets that are damaged or of another shape; each still carries B's data. */
const DAMAGED: Array<{ category: string; raw: string }> = [
  { category: 'corrupt JSON', raw: valid.slice(0, -3) },
  { category: 'corrupt JSON', raw: valid + '}' },
  { category: 'corrupt JSON', raw: `\u0000${valid}` },
  { category: 'corrupt JSON', raw: valid.replace('"v":1', '"v":1,') },
  { category: 'wrong shape', raw: JSON.stringify([valid]) },
  { category: 'wrong shape', raw: JSON.stringify({ sessions: { [B]: B_SESSION } }) },
  { category: 'wrong shape', raw: JSON.stringify({ v: '1', sessions: { [B]: B_SESSION } }) },
  { category: 'wrong shape', raw: JSON.stringify({ v: 1, sessions: [B_SESSION] }) },
  { category: 'wrong shape', raw: JSON.stringify({ v: 1, sessions: { [B]: B_TOKEN } }) },
  { category: 'wrong shape', raw: JSON.stringify({ v: 1, sessions: { [B]: B_SESSION }, bindings: { c: { issuer: 'x' } } }) },
  { category: 'wrong shape', raw: JSON.stringify({ v: 1, sessions: null, b: B_SESSION }) },
  { category: 'wrong shape', raw: JSON.stringify(B_TOKEN) },
];
/** Written by a newer MCP Hub: never read, never written. */
const NEWER = [JSON.stringify({ v: 2, sessions: { [B]: B_SESSION } }), JSON.stringify({ v: 2, data: B_TOKEN }), JSON.stringify({ v: 0, sessions: {} })];

/** A secret storage that fails in one of its calls (on keys with a given prefix, if set). */
function failing(base: MemorySecretStore, fail: { op: 'get' | 'store' | 'delete'; key?: string }): SecretStore {
  const boom = (key: string) => {
    if (fail.key === undefined || key.startsWith(fail.key)) throw new Error(`keyring locked while handling ${B_TOKEN}`);
  };
  return {
    get: async (key) => (fail.op === 'get' && boom(key), base.get(key)),
    store: async (key, value) => (fail.op === 'store' && boom(key), base.store(key, value)),
    delete: async (key) => (fail.op === 'delete' && boom(key), base.delete(key)),
    onDidChange: (l) => base.onDidChange(l),
  };
}

describe('hostile secrets in the token store', () => {
  after(() => {
    exposed(...logger.lines);
    assert.equal(count.dataLost, 0);
    assert.equal(count.secretsSeen, 0);
    console.log(
      `security[secret-store]: hostile secrets ${count.hostileSecrets}, failing stores ${count.failingStores}, data lost ${count.dataLost}, secrets seen ${count.secretsSeen}`,
    );
  });

  it("keeps a damaged secret, with the other server's session in it, aside before a write replaces it", async () => {
    for (const { category, raw } of DAMAGED) {
      count.hostileSecrets++;
      const secrets = new MemorySecretStore();
      await secrets.store(KEY, raw);
      const store = new TokenStore(secrets, { logger });
      assert.equal(await store.get(A), undefined, category);
      assert.equal(await store.get(B), undefined, 'unreadable is signed out, not an error');
      await store.update(A, aSession);
      if ((await secrets.get(BACKUP)) !== raw) count.dataLost++;
      assert.equal((await store.get(A))?.tokens?.access_token, 'a-access-token-Qm4sYt7e');
    }
    assert.equal(count.dataLost, 0);
  });

  it('keeps the damaged secret when two windows write after reading it', async () => {
    const raw = DAMAGED[0].raw;
    count.hostileSecrets++;
    const secrets = new MemorySecretStore();
    await secrets.store(KEY, raw);
    const one = new TokenStore(secrets, { logger });
    const two = new TokenStore(secrets, { logger });
    await Promise.all([one.update(A, aSession), two.update(B, () => ({ ...B_SESSION, updatedAt: 2 })), one.bindIssuer(A, 'c', 'https://as.example.com')]);
    if ((await secrets.get(BACKUP)) !== raw) count.dataLost++;
    assert.equal(count.dataLost, 0);
  });

  it('does not write, update or delete a secret saved by a newer MCP Hub', async () => {
    for (const raw of NEWER) {
      count.hostileSecrets++;
      const secrets = new MemorySecretStore();
      await secrets.store(KEY, raw);
      const store = new TokenStore(secrets, { logger });
      assert.equal(await store.get(B), undefined);
      for (const attempt of [() => store.update(A, aSession), () => store.delete(B), () => store.bindIssuer(A, 'c', 'https://as.example.com')]) {
        await assert.rejects(attempt(), (e: unknown) => {
          assert.ok(isOAuthFlowError(e, 'store_newer_version'));
          exposed(e.message, e.detail);
          return true;
        });
      }
      const tried = await store.tryGet(B);
      assert.equal(tried.error?.code, 'store_newer_version');
      if ((await secrets.get(KEY)) !== raw) count.dataLost++;
    }
    assert.equal(count.dataLost, 0);
  });

  it('reports a failing secret storage as store_unavailable, loses nothing, and shows no secret', async () => {
    const cases: Array<{ op: 'get' | 'store' | 'delete'; key?: string; damaged?: boolean }> = [
      { op: 'get' },
      { op: 'store' },
      { op: 'delete' },
      { op: 'store', key: CORRUPT_PREFIX, damaged: true }, // the backup cannot be written: the damaged secret must stay
      { op: 'get', key: CORRUPT_PREFIX, damaged: true },
    ];
    for (const c of cases) {
      count.failingStores++;
      const base = new MemorySecretStore();
      // B was signed in earlier in this process, so the scrubber knows its tokens, as in real use.
      if (c.damaged) await base.store(KEY, DAMAGED[0].raw);
      else await new TokenStore(base).update(B, () => B_SESSION);
      const before = (await base.get(KEY))!;
      const store = new TokenStore(failing(base, c), { logger });
      // The hub asks "is there a session?" for every server: that must not throw.
      const tried = await store.tryGet(A);
      if (tried.error) {
        assert.equal(tried.error.code, 'store_unavailable');
        exposed(tried.error.message, tried.error.detail);
      }
      let failures = tried.error ? 1 : 0;
      for (const write of [() => store.update(A, aSession), () => store.delete(A)]) {
        try {
          await write();
        } catch (e) {
          failures++;
          assert.ok(isOAuthFlowError(e, 'store_unavailable'), String(e));
          assert.match(e.message, /^VS Code secret storage is not available/);
          exposed(e.message, e.detail);
        }
      }
      if (c.op !== 'delete') assert.ok(failures > 0, `${c.op} failed somewhere`);
      const now = await base.get(KEY);
      const kept = c.damaged ? now === before || (await base.get(BACKUP)) === before : !!now?.includes(B_TOKEN);
      if (!kept) count.dataLost++;
    }
    assert.equal(count.dataLost, 0);
    assert.equal(count.secretsSeen, 0);
  });
});
