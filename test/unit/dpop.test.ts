// DPoP on the SDK's DpopSession: what stays ours is the stored key (dpopKeyPersistence) and the
// decision where to use DPoP (dpopPolicy, ServerAuth). The proofs themselves are the SDK's.
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify, webcrypto } from 'node:crypto';
import { describe, it } from 'node:test';
import { accessTokenHash, generateDpopKeyPair } from '@modelcontextprotocol/client';
import { parseServers, type RemoteServerConfig } from '../../src/core/config';
import { systemClock } from '../../src/core/ports';
import { dpopKeyPair, dpopSessionFor, generateDpopKey, type DpopKey } from '../../src/core/oauth/dpop';
import { ServerAuth } from '../../src/core/oauth/server-auth';
import { MemorySecretStore, TokenStore, type OAuthSession } from '../../src/core/oauth/token-store';
import { MemoryLogger } from '../helpers';

const part = (jwt: string, i: number) => JSON.parse(Buffer.from(jwt.split('.')[i], 'base64url').toString());

/** Whether `proof` is signed by the public half of `key`, as an authorization server checks it. */
function signedBy(proof: string, key: DpopKey): boolean {
  const { kty, crv, x, y } = key.privateJwk;
  const [h, p, sig] = proof.split('.');
  return verify('sha256', Buffer.from(`${h}.${p}`), { key: createPublicKey({ key: { kty, crv, x, y }, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'));
}

describe('DPoP key persistence (dpopKeyPersistence)', () => {
  it('signs the SDK proofs with a stored key, as stored since the 1.32 days', async () => {
    // The form MCP Hub has always stored: a P-256 private JWK.
    const stored: DpopKey = JSON.parse(JSON.stringify(generateDpopKey()));
    const session = await dpopSessionFor(stored);
    const proof = await session.buildProof({ htm: 'post', htu: 'https://mcp.example.com/mcp?x=1#f', accessToken: 'at-123', nonce: 'n1' });
    const header = part(proof, 0);
    const claims = part(proof, 1);
    assert.equal(header.typ, 'dpop+jwt');
    assert.equal(header.alg, 'ES256');
    const { kty, crv, x, y } = stored.privateJwk;
    assert.deepEqual(header.jwk, { kty, crv, x, y }, 'the public key only');
    assert.equal(claims.htm, 'POST');
    assert.equal(claims.htu, 'https://mcp.example.com/mcp');
    assert.equal(claims.ath, createHash('sha256').update('at-123').digest('base64url'));
    assert.equal(claims.nonce, 'n1');
    assert.ok(signedBy(proof, stored));
    const again = await (await dpopSessionFor(stored)).buildProof({ htm: 'GET', htu: 'https://mcp.example.com/mcp' });
    assert.ok(signedBy(again, stored), 'the same key after a reload');
    assert.notEqual(part(again, 1).jti, claims.jti);
  });

  it("gives the thumbprint the SDK computes for the same key (the token's cnf.jkt)", async () => {
    const sdk = await generateDpopKeyPair({ extractable: true });
    const privateJwk = await webcrypto.subtle.exportKey('jwk', sdk.privateKey);
    const ours = await dpopKeyPair({ privateJwk: privateJwk as DpopKey['privateJwk'] });
    assert.equal(ours.thumbprint, sdk.thumbprint);
    assert.deepEqual(ours.publicJwk, sdk.publicJwk);
    assert.equal(ours.alg, 'ES256');
    assert.equal(ours.privateKey.extractable, false, 'the in-memory signing key cannot be exported');
    assert.equal(await accessTokenHash('at'), createHash('sha256').update('at').digest('base64url'));
  });

  it('refuses a stored key that is not a P-256 private key', async () => {
    await assert.rejects(dpopKeyPair({ privateJwk: { kty: 'EC', crv: 'P-384', x: 'x', y: 'y', d: 'd' } }), /not a P-256 private key/);
    const { d: _d, ...publicOnly } = generateDpopKey().privateJwk;
    await assert.rejects(dpopKeyPair({ privateJwk: publicOnly }), /not a P-256 private key/);
  });
});

describe('where DPoP is used (dpopPolicy)', () => {
  const url = 'https://mcp.example.com/mcp';
  const as = 'https://as.example.com';

  async function setup(discovery: { asAlgs?: unknown; prm?: Record<string, unknown> }, extra: Partial<OAuthSession> = {}) {
    const store = new TokenStore(new MemorySecretStore());
    const session: OAuthSession = {
      resource: url,
      issuer: as,
      updatedAt: 0,
      discovery: {
        authorizationServerUrl: as,
        authorizationServerMetadata: {
          issuer: as,
          authorization_endpoint: `${as}/authorize`,
          token_endpoint: `${as}/token`,
          response_types_supported: ['code'],
          ...(discovery.asAlgs ? { dpop_signing_alg_values_supported: discovery.asAlgs } : {}),
        } as never,
        resourceMetadata: { resource: url, authorization_servers: [as], ...discovery.prm },
      },
      tokens: { access_token: 'at', token_type: 'Bearer' },
      ...extra,
    };
    await store.update(url, () => session);
    const entry = parseServers({ s: { url } }, 'user')[0];
    assert.ok(entry.ok);
    const auth = new ServerAuth(entry.config as RemoteServerConfig, { store, browser: { open: async () => false }, logger: new MemoryLogger(), clock: systemClock });
    const provider = await auth.transportProvider();
    assert.ok(provider);
    return { store, auth, dpop: async () => provider.dpop?.() };
  }

  it('uses DPoP where the authorization server offers ES256 and the resource asks for it, keeping the key with the session', async () => {
    const { store, auth, dpop } = await setup({ asAlgs: ['ES256'], prm: { dpop_bound_access_tokens_required: true } });
    const session = await dpop();
    assert.ok(session);
    const key = (await store.get(url))?.dpopKey;
    assert.ok(key, 'the key is stored with the session');
    assert.equal(session.thumbprint, (await dpopKeyPair(key)).thumbprint);
    assert.equal(await dpop(), session, 'one SDK session per key, so nonces are remembered');
    auth.dispose();
  });

  it('keeps Bearer where either side does not use DPoP', async () => {
    for (const discovery of [
      { asAlgs: ['ES256'] },
      { asAlgs: ['RS256'], prm: { dpop_bound_access_tokens_required: true } },
      { prm: { dpop_signing_alg_values_supported: ['ES256'] } },
    ]) {
      const { store, auth, dpop } = await setup(discovery);
      assert.equal(await dpop(), undefined, JSON.stringify(discovery));
      assert.equal((await store.get(url))?.dpopKey, undefined);
      auth.dispose();
    }
  });

  it('signs with the key a stored session holds, whatever the metadata says now', async () => {
    const stored = generateDpopKey();
    const { auth, dpop } = await setup({}, { dpopKey: stored, tokens: { access_token: 'at', token_type: 'DPoP' } });
    const session = await dpop();
    assert.ok(session);
    assert.ok(signedBy(await session.buildProof({ htm: 'POST', htu: `${as}/token` }), stored));
    auth.dispose();
  });
});
