// Several accounts per server in the token store: a secret written before accounts existed reads as
// the active account; new accounts go beside it where an older MCP Hub keeps them untouched; pins
// choose by subject, email or user name; Log Out of one leaves the others; a session that names
// nobody has one place per issuer and never merges with a named one; and the authorization request
// asks for the account.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accountKeyFor, askForAccount, isLabelled, placeOf, labelKeyFor, matchesPin, namesNobody, placeFor, select, signInPlace } from '../../src/core/oauth/accounts';
import { DpopPolicy, generateDpopKey, type DpopKey } from '../../src/core/oauth/dpop';
import { isOAuthFlowError } from '../../src/core/oauth/errors';
import { committedSession, sessionInfo } from '../../src/core/oauth/session';
import { CORRUPT_PREFIX, MemorySecretStore, TokenStore, secretKeyFor, type OAuthSession } from '../../src/core/oauth/token-store';
import { ServerAccounts } from '../../src/core/oauth/server-accounts';
import { HubOAuthProvider } from '../../src/core/oauth/provider';
import { ServerAuth } from '../../src/core/oauth/server-auth';
import { parseServers, type RemoteServerConfig } from '../../src/core/config';
import { systemClock } from '../../src/core/ports';
import { MemoryLogger } from '../helpers';
import { scrubber } from '../../src/core/scrub';

const URL_A = 'https://mcp.example.com/mcp';
const KEY = secretKeyFor(URL_A);
const ISSUER = 'https://as.example.com';

/** A signed-in session as a sign-in commits it: the account's display claims and the key of its raw subject. */
function signedIn(sub: string | undefined, access: string, account: OAuthSession['account'] = {}): OAuthSession {
  return {
    resource: URL_A,
    issuer: ISSUER,
    tokens: { access_token: access, refresh_token: `${access}-refresh`, token_type: 'Bearer' },
    ...(sub ? { account: { ...account, subject: sub }, accountKey: accountKeyFor(ISSUER, sub) } : Object.keys(account).length ? { account } : {}),
    updatedAt: 0,
  };
}

/** What a sign-in does: the session goes to its account's place, the active one for an unpinned entry. */
function commit(store: TokenStore, s: OAuthSession, activate = true) {
  return store.update(URL_A, () => s, { key: placeFor(s.issuer, s.accountKey ? s.account?.subject : undefined) }, activate);
}

const raw = async (secrets: MemorySecretStore) => JSON.parse((await secrets.get(KEY))!) as Record<string, unknown> & { sessions: Record<string, OAuthSession> };
const access = (s: OAuthSession | undefined) => s?.tokens?.access_token;

/**
 * What MCP Hub did on write before several accounts (its TokenStore.update and modify, at main before
 * this change): the resource's one session changed, every other key and field kept, and the secret
 * deleted once it holds no session and no binding.
 */
async function olderUpdate(secrets: MemorySecretStore, change: (s: OAuthSession | undefined) => OAuthSession | undefined): Promise<void> {
  const secret = JSON.parse((await secrets.get(KEY))!) as { sessions: Record<string, OAuthSession>; bindings?: Record<string, string> };
  const sessions = { ...secret.sessions };
  const updated = change(sessions[URL_A]);
  if (updated) sessions[URL_A] = updated;
  else delete sessions[URL_A];
  const { bindings, ...rest } = { ...secret, sessions };
  const hasBindings = !!bindings && Object.keys(bindings).length > 0;
  if (Object.keys(sessions).length === 0 && !hasBindings) await secrets.delete(KEY);
  else await secrets.store(KEY, JSON.stringify({ ...rest, v: 1, ...(hasBindings ? { bindings } : {}) }));
}

describe('several accounts per server in the token store', () => {
  it('reads a secret written before accounts existed as the active account, and adds a second account beside it', async () => {
    const secrets = new MemorySecretStore();
    // As MCP Hub wrote it before: one session per resource, the account's subject scrubbed for display only.
    const old = {
      resource: URL_A,
      issuer: ISSUER,
      tokens: { access_token: 'work-access-0001', token_type: 'Bearer' },
      account: { email: 'w@example.com', subject: 'work-sub' },
      updatedAt: 1,
    };
    await secrets.store(KEY, JSON.stringify({ v: 1, sessions: { [URL_A]: old }, bindings: { c: ISSUER } }));
    const store = new TokenStore(secrets);
    assert.equal(access(await store.get(URL_A)), 'work-access-0001');
    assert.equal(access(await store.get(URL_A, { pin: 'work-sub' })), 'work-access-0001');

    await commit(store, signedIn('home-sub', 'home-access-0002', { email: 'h@example.com' }));
    assert.equal(access(await store.get(URL_A)), 'home-access-0002', 'the new account is the active one');
    assert.equal(access(await store.get(URL_A, { pin: 'w@example.com' })), 'work-access-0001', 'the first is kept, not replaced');
    const secret = await raw(secrets);
    // An older MCP Hub reads sessions[resource]: the active account. The others are beside it under keys it never reads.
    assert.equal(access(secret.sessions[URL_A]), 'home-access-0002');
    assert.deepEqual(Object.keys(secret.sessions), [URL_A, `${URL_A}#account=${accountKeyFor(ISSUER, 'work-sub')}`]);
    assert.deepEqual(secret.bindings, { c: ISSUER });
    assert.equal(secret.v, 1);

    // Signing in again as the first account replaces its session, in its place, and makes it active.
    await commit(store, signedIn('work-sub', 'work-access-0003', { email: 'w@example.com' }));
    const accounts = await store.accounts(URL_A);
    assert.equal(access(accounts.active), 'work-access-0003');
    assert.deepEqual(accounts.others.map(access), ['home-access-0002']);
  });

  it('loses nothing when an older MCP Hub refreshes or logs out the active account', async () => {
    const secrets = new MemorySecretStore();
    const store = new TokenStore(secrets);
    await commit(store, signedIn('work-sub', 'work-access-0001'));
    await commit(store, signedIn('home-sub', 'home-access-0002'));
    // An older MCP Hub refreshes sessions[resource], keeping every other key and field.
    await olderUpdate(secrets, (s) => s && { ...s, tokens: { access_token: 'home-access-0003', token_type: 'Bearer' } });
    assert.equal(access(await store.get(URL_A)), 'home-access-0003');
    assert.equal(access(await store.get(URL_A, { pin: 'work-sub' })), 'work-access-0001');
    // Its Log Out deletes sessions[resource], and would delete the secret with its last session: the other account counts as one, so it stays.
    await olderUpdate(secrets, () => undefined);
    assert.equal(await store.get(URL_A), undefined);
    assert.equal(access(await store.get(URL_A, { pin: 'work-sub' })), 'work-access-0001');
    assert.deepEqual(
      (await new ServerAccounts(URL_A, store, undefined).list()).map((a) => a.active),
      [false],
    );
    // It signs in again, as the account kept beside: that account is listed once, as the active one, with the new tokens.
    await olderUpdate(secrets, () => signedIn('work-sub', 'work-access-0004'));
    const accounts = await store.accounts(URL_A);
    assert.deepEqual([accounts.active, ...accounts.others].map(access), ['work-access-0004']);
    assert.equal(access(await store.get(URL_A, { pin: 'work-sub' })), 'work-access-0004');
  });

  it('Log Out of one account leaves the others; of the active one, leaves none active', async () => {
    const secrets = new MemorySecretStore();
    const store = new TokenStore(secrets);
    await commit(store, signedIn('work-sub', 'work-access-0001', { email: 'w@example.com' }));
    await commit(store, signedIn('home-sub', 'home-access-0002', { username: 'Home' }));
    await store.delete(URL_A, { pin: 'w@example.com' });
    assert.equal(await store.get(URL_A, { pin: 'w@example.com' }), undefined);
    assert.equal(access(await store.get(URL_A)), 'home-access-0002');
    await commit(store, signedIn('work-sub', 'work-access-0003', { email: 'w@example.com' }), false);
    await store.delete(URL_A);
    assert.equal(await store.get(URL_A), undefined, 'the active account is gone, and no other takes its place unasked');
    assert.equal(access(await store.get(URL_A, { pin: 'w@example.com' })), 'work-access-0003');
    await store.delete(URL_A, { pin: 'w@example.com' });
    assert.deepEqual(secrets.keys(), [], 'the secret goes with the last account');
  });

  it('pins by subject (exactly), email or user name (case aside), and never to a session that names nobody', () => {
    const alice = signedIn('00u-Alice', 'a-access-0001', { email: 'Alice@Example.com', username: 'alice' });
    const bob = signedIn('00u-Bob', 'b-access-0002', { email: 'bob@example.com', username: '00u-Alice' });
    const nobody = signedIn(undefined, 'n-access-0003', { name: 'Alice' });
    for (const pin of ['00u-Alice', 'alice@example.com', 'ALICE']) assert.ok(matchesPin(alice, pin), pin);
    assert.ok(!matchesPin(alice, '00u-alice'), 'a subject is compared exactly');
    assert.ok(!matchesPin(nobody, 'Alice') && !matchesPin(nobody, ''), 'a session that names nobody matches no pin');
    // Bob's user name is Alice's subject: the subject wins.
    assert.equal(select({ active: bob, others: [alice] }, { pin: '00u-Alice' }), alice);
    assert.equal(select({ active: bob, others: [alice, nobody] }, { pin: 'carol' }), undefined);
  });

  it('compares email and user name without ASCII case only: a lookalike that Unicode folds to the pin is another account', () => {
    // U+212A KELVIN SIGN and U+212B ANGSTROM SIGN lower-case to "k" and "å"; U+0130 to "i" and a dot.
    const kelvin = signedIn('kelvin-sub', 'k-access-0001', { email: '\u212Aim@example.com', username: '\u212Bsa' });
    assert.ok(!matchesPin(kelvin, 'kim@example.com'), 'KELVIN SIGN is not K');
    assert.ok(!matchesPin(kelvin, '\u00e5sa'), 'ANGSTROM SIGN is not \u00c5');
    assert.ok(!matchesPin(signedIn('i-sub', 'i-access-0002', { username: 'i\u0307x' }), '\u0130X'));
    assert.ok(matchesPin(kelvin, '\u212AIM@EXAMPLE.COM'), 'the same characters, ASCII case aside');
    assert.equal(select({ active: kelvin, others: [] }, { pin: 'kim@example.com' }), undefined);
  });

  it('keeps a session that names nobody in its issuer one place: signing in again replaces it, a named one goes beside it', async () => {
    const store = new TokenStore(new MemorySecretStore());
    await commit(store, signedIn(undefined, 'anon-access-0001'));
    await commit(store, signedIn(undefined, 'anon-access-0002'));
    assert.deepEqual([(await store.accounts(URL_A)).active, ...(await store.accounts(URL_A)).others].map(access), ['anon-access-0002']);
    await commit(store, signedIn('alice-sub', 'alice-access-0003'));
    const accounts = await store.accounts(URL_A);
    assert.deepEqual([accounts.active, ...accounts.others].map(access), ['alice-access-0003', 'anon-access-0002']);
  });

  it('keys on the subject as sent, so two subjects the scrubber shows alike are still two accounts', async () => {
    const store = new TokenStore(new MemorySecretStore());
    // Subjects that look like tokens read as *** once scrubbed for display; their keys differ.
    const one = 'eyJhbGciOiJub25lIn0.eyJ1IjoxfQ.c2lnbmF0dXJlLW9uZQ';
    const two = 'eyJhbGciOiJub25lIn0.eyJ1IjoyfQ.c2lnbmF0dXJlLXR3bw';
    await commit(store, signedIn(one, 'one-access-0001', { subject: '***' }));
    await commit(store, { ...signedIn(two, 'two-access-0002'), account: { subject: '***' } });
    const accounts = await store.accounts(URL_A);
    assert.deepEqual([accounts.active, ...accounts.others].map(access), ['two-access-0002', 'one-access-0001']);
  });

  it('Switch Account makes a stored account the active one; an entry pinned by auth.account cannot switch', async () => {
    const store = new TokenStore(new MemorySecretStore());
    await commit(store, signedIn('work-sub', 'work-access-0001', { name: 'Work', email: 'w@example.com' }));
    await commit(store, signedIn('home-sub', 'home-access-0002', { name: 'Home' }));
    const accounts = new ServerAccounts(URL_A, store, undefined);
    const list = await accounts.list();
    assert.deepEqual(
      list.map(({ label, description, active }) => ({ label, description, active })),
      [
        { label: 'Home', description: undefined, active: true },
        { label: 'Work', description: 'w@example.com', active: false },
      ],
    );
    await accounts.switchTo(list[1].key);
    assert.equal(access(await store.get(URL_A)), 'work-access-0001');
    assert.deepEqual((await store.accounts(URL_A)).others.map(access), ['home-access-0002']);
    await assert.rejects(accounts.switchTo('no-such-key'), (e) => isOAuthFlowError(e, 'account_not_found'));
    await assert.rejects(new ServerAccounts(URL_A, store, 'w@example.com').switchTo(list[0].key), (e) => isOAuthFlowError(e, 'account_pinned'));
  });

  it("refuses a pinned entry's sign-in as another account, naming the pin and keeping who came back out of the message", () => {
    const refused = (who: Parameters<typeof signInPlace>[1]) => {
      try {
        signInPlace(ISSUER, who, 'work@example.com');
      } catch (error) {
        assert.ok(isOAuthFlowError(error, 'account_mismatch'));
        assert.match(error.message, /auth\.account "work@example\.com"/);
        return error;
      }
      assert.fail('accepted');
    };
    const error = refused({ account: { email: 'home@example.com' }, subject: 'home-sub' });
    assert.ok(!error.message.includes('home@example.com') && error.detail?.includes('home@example.com'));
    assert.match(refused({}).detail ?? '', /offers to say who signed in .* but did not/);
    assert.deepEqual(signInPlace(ISSUER, { account: { email: 'WORK@example.com' }, subject: 'w' }, 'work@example.com'), {
      at: accountKeyFor(ISSUER, 'w'),
      accountKey: accountKeyFor(ISSUER, 'w'),
    });
    assert.deepEqual(signInPlace(ISSUER, {}, undefined), { at: placeFor(ISSUER, undefined) });
  });

  it('moves a secret whose accounts are not of this shape aside, and leaves a newer version alone', async () => {
    const secrets = new MemorySecretStore();
    const store = new TokenStore(secrets);
    const damaged = JSON.stringify({ v: 1, sessions: { [`${URL_A}#account=x`]: 'not a session' } });
    await secrets.store(KEY, damaged);
    assert.deepEqual(await store.accounts(URL_A), { others: [] });
    assert.equal(await secrets.get(CORRUPT_PREFIX + 'mcp.example.com'), damaged);
    const newer = JSON.stringify({ v: 2, sessions: {}, accounts: { [URL_A]: [] } });
    await secrets.store(KEY, newer);
    assert.deepEqual(await store.accounts(URL_A), { others: [] });
    await assert.rejects(commit(store, signedIn('x', 'x-access-0001')), (e) => isOAuthFlowError(e, 'store_newer_version'));
    assert.equal(await secrets.get(KEY), newer);
  });
});

describe('the authorization request asks for the account', () => {
  const ask = (metadata: unknown, options: Parameters<typeof askForAccount>[2]) => {
    const url = new URL('https://as.example.com/authorize?client_id=c');
    askForAccount(url, metadata, options);
    return Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'client_id'));
  };
  it("sends a pinned entry's account as login_hint, and asks to choose for another account as the server allows", () => {
    const oidc = { userinfo_endpoint: 'https://as.example.com/userinfo' };
    assert.deepEqual(ask(oidc, { pin: 'work@example.com' }), { login_hint: 'work@example.com' });
    assert.deepEqual(ask({}, {}), {});
    assert.deepEqual(ask({}, { another: true }), { prompt: 'login' });
    assert.deepEqual(ask({ prompt_values_supported: ['none', 'login', 'consent', 'select_account'] }, { another: true }), { prompt: 'select_account' });
    assert.deepEqual(ask({ prompt_values_supported: ['none', 'login', 'consent'] }, { another: true }), { prompt: 'login' });
    assert.deepEqual(ask({ prompt_values_supported: ['none'] }, { another: true }), {});
  });

  it('lets the person choose for a pinned sign-in where the server names nobody (its label cannot be checked there)', () => {
    // No userinfo endpoint and no openid scope: GitHub OAuth apps. The label goes as login_hint, never as GitHub's `login`.
    assert.deepEqual(ask({}, { pin: 'work' }), { login_hint: 'work', prompt: 'login' });
    assert.deepEqual(ask({ prompt_values_supported: ['login', 'select_account'] }, { pin: 'work' }), { login_hint: 'work', prompt: 'select_account' });
    // openid in the scope brings an id_token: the pin is checked, the browser is not asked to choose.
    const url = new URL('https://as.example.com/authorize?client_id=c&scope=openid%20repo');
    askForAccount(url, {}, { pin: 'work' });
    assert.equal(url.searchParams.get('prompt'), null);
  });
});

describe('labels: pinned accounts where the authorization server names nobody', () => {
  /** A sign-in's session as provider.ts commits it where the server names nobody, for the entry pinned to `label`. */
  function labelled(label: string | undefined, accessToken: string): OAuthSession {
    const place = signInPlace(ISSUER, {}, label, true);
    const tokens = { access_token: accessToken, refresh_token: `${accessToken}-refresh`, token_type: 'bearer' };
    return { ...committedSession(undefined, tokens, {}, { serverUrl: URL_A, now: 1, grant: undefined, ...place }), issuer: ISSUER };
  }
  const put = (store: TokenStore, s: OAuthSession, pinned: boolean) => store.update(URL_A, () => s, { key: placeOf(s) }, !pinned);

  it('knows a server that names nobody: no id_token, no userinfo endpoint', () => {
    assert.equal(namesNobody({ issuer: ISSUER }, undefined), true);
    assert.equal(namesNobody({ userinfo_endpoint: `${ISSUER}/userinfo` }, undefined), false);
    assert.equal(namesNobody({}, 'eyJ.eyJ.sig'), false);
    assert.equal(namesNobody(undefined, undefined, 'openid repo'), false);
  });

  it('keys a label apart from every subject key: the same text as a label and as a subject are two places', () => {
    for (const text of ['work', 'alice@example.com', 'label:x', `unnamed ${ISSUER}`]) {
      assert.notEqual(labelKeyFor(ISSUER, text), accountKeyFor(ISSUER, text), text);
      assert.notEqual(labelKeyFor(ISSUER, text), placeFor(ISSUER, undefined), text);
      assert.match(accountKeyFor(ISSUER, text), /^[\w-]{32}$/, 'a subject key never has the label prefix');
    }
    assert.notEqual(labelKeyFor(ISSUER, 'work'), labelKeyFor('https://other.example.com', 'work'), 'per issuer');
    // A pinned sign-in where the server names nobody goes to its label; one that names a subject never does.
    assert.deepEqual(signInPlace(ISSUER, {}, 'work', true), { at: labelKeyFor(ISSUER, 'work'), accountKey: labelKeyFor(ISSUER, 'work'), label: 'work' });
    assert.deepEqual(signInPlace(ISSUER, { subject: 'work' }, 'work', true), { at: accountKeyFor(ISSUER, 'work'), accountKey: accountKeyFor(ISSUER, 'work') });
    assert.deepEqual(signInPlace(ISSUER, {}, undefined, true), { at: placeFor(ISSUER, undefined) }, 'an unpinned entry keeps the one keyless place');
    assert.throws(
      () => signInPlace(ISSUER, { subject: 'home-sub' }, 'work', true),
      (e) => isOAuthFlowError(e, 'account_mismatch'),
    );
  });

  it('matches a label only to its own pin, exactly, and prefers an account the server named for the same text', () => {
    const work = labelled('work', 'work-access-0001');
    assert.ok(isLabelled(work) && matchesPin(work, 'work'));
    for (const pin of ['Work', 'home', 'work ', '']) assert.ok(!matchesPin(work, pin), pin);
    // A label's account has no subject, email or user name to match.
    const spoof = { ...work, account: { email: 'home@example.com', username: 'home', subject: 'home' } };
    assert.ok(!matchesPin(spoof, 'home') && !matchesPin(spoof, 'home@example.com'));
    const named = signedIn('work-sub', 'named-access-0002', { username: 'work' });
    assert.equal(select({ active: work, others: [named] }, { pin: 'work' }), named, 'the account the server named first');
    assert.equal(select({ active: work, others: [] }, { pin: 'home' }), undefined);
  });

  it('keeps two labelled accounts and the unpinned one side by side; Log Out of one label leaves the others; Switch Account lists labels', async () => {
    const secrets = new MemorySecretStore();
    const store = new TokenStore(secrets);
    await put(store, labelled('work', 'work-access-0001'), true);
    await put(store, labelled('home', 'home-access-0002'), true);
    await put(store, labelled(undefined, 'anon-access-0003'), false);
    await put(store, labelled(undefined, 'anon-access-0004'), false);
    assert.equal(access(await store.get(URL_A, { pin: 'work' })), 'work-access-0001');
    assert.equal(access(await store.get(URL_A, { pin: 'home' })), 'home-access-0002');
    assert.equal(access(await store.get(URL_A)), 'anon-access-0004', 'signing in again unpinned replaced the one unnamed account');
    assert.equal(await store.get(URL_A, { pin: 'anon' }), undefined);
    assert.equal(Object.keys((await raw(secrets)).sessions).length, 3);

    const list = await new ServerAccounts(URL_A, store, undefined).list();
    assert.deepEqual(
      list.map(({ label, description, active }) => ({ label, description, active })),
      [
        { label: 'Unnamed account', description: undefined, active: true },
        { label: '"work"', description: 'as chosen in the browser: the server does not say who signed in', active: false },
        { label: '"home"', description: 'as chosen in the browser: the server does not say who signed in', active: false },
      ],
    );
    await store.delete(URL_A, { pin: 'work' });
    assert.equal(await store.get(URL_A, { pin: 'work' }), undefined);
    assert.equal(access(await store.get(URL_A, { pin: 'home' })), 'home-access-0002');
    assert.equal(access(await store.get(URL_A)), 'anon-access-0004');
    const info = sessionInfo(await store.get(URL_A, { pin: 'home' }));
    assert.equal(info?.label, 'home');
    assert.equal(info?.account, undefined);
  });

  it('shows a label scrubbed and capped, and refuses Sign in with another account where the server names nobody', async () => {
    const store = new TokenStore(new MemorySecretStore());
    const secretLooking = 'ghp_' + 'a'.repeat(36);
    scrubber.remember(secretLooking);
    await put(store, { ...labelled(secretLooking, 'x-access-0001'), label: `${secretLooking}${'y'.repeat(300)}` }, true);
    const [choice] = await new ServerAccounts(URL_A, store, undefined).list();
    assert.ok(!choice.label.includes(secretLooking) && choice.label.length <= 202, choice.label);
    const shown = sessionInfo(await store.get(URL_A))?.label ?? '';
    assert.ok(!shown.includes(secretLooking) && shown.length <= 200, shown);

    await put(store, labelled(undefined, 'anon-access-0002'), false);
    const unpinned = new ServerAccounts(URL_A, store, undefined);
    await assert.rejects(unpinned.assertCanAddAnother(), (e) => isOAuthFlowError(e, 'account_unnamed') && /"auth\.account"/.test(e.message));
    await commit(store, signedIn('alice-sub', 'alice-access-0003'));
    await unpinned.assertCanAddAnother();
    // An unnamed session (stored by an earlier version) on a server that does name accounts: another account may sign in.
    const oidc = new TokenStore(new MemorySecretStore());
    const discovery = { authorizationServerUrl: ISSUER, authorizationServerMetadata: { userinfo_endpoint: `${ISSUER}/userinfo` } } as unknown as OAuthSession['discovery'];
    await put(oidc, { ...labelled(undefined, 'old-access-0004'), discovery }, false);
    await new ServerAccounts(URL_A, oidc, undefined).assertCanAddAnother();
  });
});

describe('DPoP with several accounts', () => {
  it('commits a sign-in with the key its tokens were bound to, though another account held it', async () => {
    const aliceKey = generateDpopKey();
    const bobKey = generateDpopKey();
    const alice = { ...signedIn('alice-sub', 'alice-access-0001'), dpopKey: aliceKey };
    // Signing in as bob while alice is the active account: the flow signs with alice's key.
    const flow: { stagedDpopKey: DpopKey | undefined; stagedDiscovery(): undefined } = { stagedDpopKey: undefined, stagedDiscovery: () => undefined };
    const policy = new DpopPolicy({ session: async () => alice, signIn: () => flow, keep: async () => undefined });
    assert.ok(await policy.session());
    assert.equal(flow.stagedDpopKey, aliceKey);
    // Bob's stored session (an earlier sign-in) had its own key: the new tokens are bound to alice's, so that one goes with them.
    const bob = { ...signedIn('bob-sub', 'bob-access-0002'), dpopKey: bobKey };
    const next = committedSession(bob, { access_token: 'bob-access-0003', token_type: 'DPoP' }, { dpopKey: flow.stagedDpopKey }, { serverUrl: URL_A, now: 1, grant: undefined });
    assert.equal(next.dpopKey, aliceKey);
    assert.equal(committedSession(bob, { access_token: 'bob-access-0004', token_type: 'Bearer' }, {}, { serverUrl: URL_A, now: 2, grant: undefined }).dpopKey, bobKey);
  });
});

describe('a refresh never changes whose session it is', () => {
  const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
  async function twoAccounts() {
    const store = new TokenStore(new MemorySecretStore());
    await commit(store, signedIn('bob-sub', 'bob-access-0001', { email: 'bob@example.com' }));
    await commit(store, signedIn('alice-sub', 'alice-access-0002', { email: 'alice@example.com' }));
    const alice = await store.get(URL_A);
    const logger = new MemoryLogger();
    const provider = new HubOAuthProvider({ serverUrl: URL_A, settings: {}, store, mode: { kind: 'passive' }, logger, clock: systemClock }, alice);
    return { store, provider, logger };
  }
  const refreshed = (idToken: string) => ({ access_token: 'alice-access-0003', refresh_token: 'alice-refresh-0003', token_type: 'Bearer', id_token: idToken, issuer: ISSUER });

  it('keeps the account when a refreshed id_token names another subject, so a pin on that account never gets these tokens (OpenID Connect Core 12.2: the same sub)', async () => {
    const { store, provider, logger } = await twoAccounts();
    await provider.saveTokens(refreshed(jwt({ sub: 'bob-sub', email: 'bob@example.com', name: 'Bob' })));
    const alice = await store.get(URL_A);
    assert.equal(access(alice), 'alice-access-0003', 'the refresh is kept');
    assert.deepEqual(alice?.account, { email: 'alice@example.com', subject: 'alice-sub' }, "alice's session still names alice");
    assert.equal(access(await store.get(URL_A, { pin: 'bob@example.com' })), 'bob-access-0001', "bob's pin gets bob's tokens");
    assert.equal(access(await store.get(URL_A, { pin: 'bob-sub' })), 'bob-access-0001');
    assert.match(logger.text(), /another account/);
  });

  it('keeps the account when a refreshed id_token names nobody but shows another email, and takes new claims of the same subject', async () => {
    const { store, provider } = await twoAccounts();
    await provider.saveTokens(refreshed(jwt({ email: 'bob@example.com' })));
    assert.equal(access(await store.get(URL_A, { pin: 'bob@example.com' })), 'bob-access-0001');
    await provider.saveTokens({ ...refreshed(jwt({ sub: 'alice-sub', email: 'alice@example.com', name: 'Alice' })), access_token: 'alice-access-0004' });
    assert.deepEqual((await store.get(URL_A))?.account, { name: 'Alice', email: 'alice@example.com', subject: 'alice-sub' });
  });
});

describe('Log Out with no session of its own', () => {
  it("deletes nothing, though another window makes an account active meanwhile (it was never this entry's)", async () => {
    const secrets = new MemorySecretStore();
    const store = new TokenStore(secrets);
    // Carol and erin are signed in; neither is active (the active one was logged out).
    await commit(store, signedIn('carol-sub', 'carol-access-0001', { email: 'carol@example.com' }));
    await commit(store, signedIn('erin-sub', 'erin-access-0002', { email: 'erin@example.com' }), false);
    await store.delete(URL_A);
    const erinKey = accountKeyFor(ISSUER, 'erin-sub');
    // Another window switches to erin just after this one read that there is no active account.
    let race: (() => Promise<unknown>) | undefined;
    const racing = {
      get: async (key: string) => {
        const value = await secrets.get(key);
        const run = race;
        race = undefined;
        if (run) await run();
        return value;
      },
      store: (key: string, value: string) => secrets.store(key, value),
      delete: (key: string) => secrets.delete(key),
      onDidChange: (listener: (key: string) => void) => secrets.onDidChange(listener),
    };
    const auth = new ServerAuth((parseServers({ any: { url: URL_A } }, 'user')[0] as { config: RemoteServerConfig }).config, {
      store: new TokenStore(racing),
      browser: { open: async () => false },
      logger: new MemoryLogger(),
      clock: systemClock,
    });
    race = () => store.activate(URL_A, erinKey);
    await auth.logout();
    auth.dispose();
    assert.equal(access(await store.get(URL_A)), 'erin-access-0002', "erin's session stays, active");
    assert.equal((await store.accounts(URL_A)).others.length, 0);
  });
});
