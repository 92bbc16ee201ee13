// Who signed in, from an id_token's claims: malformed tokens name nobody, claims are strings only,
// scrubbed and capped; what is read back from the store is checked the same way.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accountFromClaims, accountFromIdToken, storedAccount } from '../../src/core/oauth/account';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const jwt = (payload: unknown) => `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(payload)}.c2lnbmF0dXJl`;

describe('account from an id_token', () => {
  it('takes name, email, preferred_username and sub', () => {
    assert.deepEqual(accountFromIdToken(jwt({ sub: 'u-1', name: 'Alice', email: 'alice@example.com', preferred_username: 'alice', iss: 'https://as' })), {
      name: 'Alice',
      email: 'alice@example.com',
      username: 'alice',
      subject: 'u-1',
    });
  });

  it('names nobody for tokens that are not a readable JWS', () => {
    for (const token of [
      undefined,
      42,
      '',
      'not-a-jwt',
      'a.b',
      `${b64({})}.${b64({ sub: 'x' })}.sig.extra.parts`, // JWE-shaped: five parts
      `${b64({})}.***.sig`,
      `${b64({})}.${b64('not json')}.sig`,
      `${b64({})}.${b64('"a string"')}.sig`,
      `${b64({})}.${b64([{ sub: 'x' }])}.sig`,
      `${b64({})}.${b64(null)}.sig`,
      `${b64({})}.${b64({})}.sig`,
      jwt({ sub: 'x', pad: 'p'.repeat(70 * 1024) }), // longer than any id_token worth reading
    ]) {
      assert.equal(accountFromIdToken(token), undefined, String(token).slice(0, 40));
    }
  });

  it('keeps only string claims', () => {
    assert.deepEqual(accountFromIdToken(jwt({ sub: 12345, name: { first: 'A' }, email: ['a@b'], preferred_username: true })), undefined);
    assert.deepEqual(accountFromClaims({ sub: 'x', name: 7, email: null }), { subject: 'x' });
    assert.deepEqual(accountFromClaims({ sub: '   ', name: '' }), undefined, 'blank claims name nobody');
  });

  it('scrubs and caps every claim', () => {
    const account = accountFromClaims({
      name: `Mallory\u202e\u0007 [click](command:workbench.action.terminal.new) ${'x'.repeat(5000)}`,
      email: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJl',
      preferred_username: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      sub: 'fine',
    })!;
    assert.ok(account.name!.length <= 200);
    assert.ok(account.name!.startsWith('Mallory [click] (command :'), account.name);
    assert.ok(!account.email!.includes('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0'));
    assert.ok(!account.username!.includes('abcdefghijklmnopqrstuvwxyz0123456789'));
    assert.equal(account.subject, 'fine');
  });

  it('reads a stored account back through the same checks', () => {
    assert.deepEqual(storedAccount({ name: 'Alice', email: 'a@example.com', username: 'alice', subject: 's', extra: 'dropped' }), {
      name: 'Alice',
      email: 'a@example.com',
      username: 'alice',
      subject: 's',
    });
    assert.equal(storedAccount('Alice'), undefined);
    assert.equal(storedAccount({ name: 5 }), undefined);
  });
});
