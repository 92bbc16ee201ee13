import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { dpopProof, generateDpopKey, htuOf, nonceChallenge } from '../../src/core/oauth/dpop';

const part = (jwt: string, i: number) => JSON.parse(Buffer.from(jwt.split('.')[i], 'base64url').toString());

describe('DPoP proofs (RFC 9449)', () => {
  it('signs a well-formed ES256 proof with the public key embedded', () => {
    const key = generateDpopKey();
    const proof = dpopProof(key, 'post', 'https://mcp.example.com/mcp?x=1#f', { accessToken: 'at-123', nonce: 'n1' });
    const header = part(proof, 0);
    const claims = part(proof, 1);
    assert.equal(header.typ, 'dpop+jwt');
    assert.equal(header.alg, 'ES256');
    assert.deepEqual(Object.keys(header.jwk).sort(), ['crv', 'kty', 'x', 'y'], 'the public key only');
    assert.equal(claims.htm, 'POST');
    assert.equal(claims.htu, 'https://mcp.example.com/mcp');
    assert.equal(claims.ath, createHash('sha256').update('at-123').digest('base64url'));
    assert.equal(claims.nonce, 'n1');
    assert.ok(Math.abs(claims.iat - Date.now() / 1000) < 5);
    const [h, p, sig] = proof.split('.');
    assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), { key: createPublicKey({ key: header.jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url')));
  });

  it('makes every proof fresh', () => {
    const key = generateDpopKey();
    assert.notEqual(part(dpopProof(key, 'GET', 'https://a/'), 1).jti, part(dpopProof(key, 'GET', 'https://a/'), 1).jti);
  });

  it('reads use_dpop_nonce challenges from the token endpoint and the resource server', () => {
    assert.equal(htuOf('https://a.example/x?y#z'), 'https://a.example/x');
    assert.equal(nonceChallenge(400, new Headers({ 'dpop-nonce': 'as' }), '{"error":"use_dpop_nonce"}'), 'as');
    assert.equal(nonceChallenge(401, new Headers({ 'dpop-nonce': 'rs', 'www-authenticate': 'DPoP error="use_dpop_nonce"' })), 'rs');
    assert.equal(nonceChallenge(401, new Headers({ 'www-authenticate': 'DPoP error="use_dpop_nonce"' })), undefined);
    assert.equal(nonceChallenge(400, new Headers({ 'dpop-nonce': 'x' }), '{"error":"invalid_grant"}'), undefined);
  });
});
