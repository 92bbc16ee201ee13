/**
 * DPoP (RFC 9449) on the SDK's DpopSession, which signs the proofs of token requests (with the
 * use_dpop_nonce retry, in auth() and refreshAuthorization) and of MCP requests (the transport's
 * withDpopFromProvider: `Authorization: DPoP` for a DPoP token, the resource server's nonce retry).
 * What is left here closes the v2 gap named for it:
 *  - dpopKeyPersistence: the SDK keeps a session's key in memory only (generateDpopKeyPair makes
 *    a non-extractable key that dies with the window), while a DPoP-bound token is bound to its key
 *    for good. The key is kept with the session in secret storage as a private JWK, as since the
 *    1.32 days (so sessions stored then keep working), and the SDK's DpopKeyPair is built from it.
 * The decision where to use DPoP at all (dpopPolicy) is ServerAuth.dpopKey's: the SDK never reads
 * dpop_signing_alg_values_supported.
 */
import { createHash, generateKeyPairSync, webcrypto, type JsonWebKey } from 'node:crypto';
import { DpopSession, type DpopKeyPair } from '@modelcontextprotocol/client';

/** The one algorithm the hub signs with: P-256 keys, which every DPoP authorization server takes. */
export const DPOP_ALG = 'ES256';

export interface DpopKey {
  /** The private key as a JWK (kty EC, crv P-256, x, y, d). */
  readonly privateJwk: JsonWebKey;
}

/** A new key, in the form it is stored in (the private JWK). */
export function generateDpopKey(): DpopKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateJwk: privateKey.export({ format: 'jwk' }) };
}

/** The SDK's key pair for a stored key: a non-extractable signing key, the public JWK and its RFC 7638 thumbprint. */
export async function dpopKeyPair(key: DpopKey): Promise<DpopKeyPair> {
  const { kty, crv, x, y, d } = key.privateJwk;
  if (kty !== 'EC' || crv !== 'P-256' || !x || !y || !d) throw new Error('The stored DPoP key is not a P-256 private key.');
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
  const publicJwk = { kty, crv, x, y };
  const [privateKey, publicKey] = await Promise.all([
    webcrypto.subtle.importKey('jwk', { kty, crv, x, y, d }, algorithm, false, ['sign']),
    webcrypto.subtle.importKey('jwk', publicJwk, algorithm, true, ['verify']),
  ]);
  // RFC 7638 §3.2: the required members, in lexicographic order, without whitespace.
  const thumbprint = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
  return { privateKey, publicKey, publicJwk, thumbprint, alg: DPOP_ALG };
}

/** The SDK's DPoP session signing with a stored key. */
export async function dpopSessionFor(key: DpopKey): Promise<DpopSession> {
  return DpopSession.create({ keyPair: await dpopKeyPair(key) });
}
