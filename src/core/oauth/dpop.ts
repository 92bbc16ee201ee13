/**
 * DPoP (RFC 9449) proofs, which SDK 1.32.2 does not make: a P-256 key per session (kept with the
 * session in secret storage) signs a fresh proof for each token request and each request to the
 * MCP server, binding the access token to this key. Used only where the authorization server
 * advertises ES256 in dpop_signing_alg_values_supported.
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, type JsonWebKey } from 'node:crypto';

export const DPOP_ALG = 'ES256';

export interface DpopKey {
  /** The private key as a JWK (kty EC, crv P-256, x, y, d). */
  readonly privateJwk: JsonWebKey;
}

export function generateDpopKey(): DpopKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateJwk: privateKey.export({ format: 'jwk' }) };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** RFC 9449 §4.2: the `htu` is the request URI without query and fragment. */
export function htuOf(url: string | URL): string {
  const u = new URL(String(url));
  return `${u.origin}${u.pathname}`;
}

export function dpopProof(key: DpopKey, htm: string, url: string | URL, options: { accessToken?: string; nonce?: string } = {}): string {
  const { kty, crv, x, y } = key.privateJwk;
  const header = { typ: 'dpop+jwt', alg: DPOP_ALG, jwk: { kty, crv, x, y } };
  const payload = {
    jti: randomBytes(16).toString('base64url'),
    htm: htm.toUpperCase(),
    htu: htuOf(url),
    iat: Math.floor(Date.now() / 1000),
    ...(options.accessToken ? { ath: createHash('sha256').update(options.accessToken, 'ascii').digest('base64url') } : {}),
    ...(options.nonce ? { nonce: options.nonce } : {}),
  };
  const input = `${b64(header)}.${b64(payload)}`;
  const signature = sign('sha256', Buffer.from(input), { key: createPrivateKey({ key: key.privateJwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** The nonce a server asks for with use_dpop_nonce (RFC 9449 §8 token endpoint, §9 resource server). */
export function nonceChallenge(status: number, headers: Headers, body?: string): string | undefined {
  const nonce = headers.get('dpop-nonce');
  if (!nonce) return undefined;
  if (status === 401 && /use_dpop_nonce/.test(headers.get('www-authenticate') ?? '')) return nonce;
  if (status === 400 && body && /"error"\s*:\s*"use_dpop_nonce"/.test(body)) return nonce;
  return undefined;
}
