/**
 * DPoP (RFC 9449) on the SDK's DpopSession, which signs the proofs of token requests (with the
 * use_dpop_nonce retry, in auth() and refreshAuthorization) and of MCP requests (the transport's
 * withDpopFromProvider: `Authorization: DPoP` for a DPoP token, the resource server's nonce retry).
 * What is left here closes the v2 gap named for it:
 *  - dpopKeyPersistence: the SDK keeps a session's key in memory only (generateDpopKeyPair makes
 *    a non-extractable key that dies with the window), while a DPoP-bound token is bound to its key
 *    for good. The key is kept with the session in secret storage as a private JWK, as since the
 *    1.32 days (so sessions stored then keep working), and the SDK's DpopKeyPair is built from it.
 *  - dpopPolicy (the SDK uses DPoP wherever provider.dpop() answers a session, and never reads
 *    dpop_signing_alg_values_supported): DpopPolicy below decides where a session uses DPoP at all.
 */
import { createHash, generateKeyPairSync, webcrypto, type JsonWebKey } from 'node:crypto';
import { DpopSession, type DpopKeyPair, type OAuthDiscoveryState } from '@modelcontextprotocol/client';

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

/** What DpopPolicy asks of the server's OAuth: its stored session, the sign-in under way, and how to keep a key. */
export interface DpopContext {
  /** The stored session's key and discovery (undefined before a sign-in stored one). */
  session(): Promise<{ readonly dpopKey?: DpopKey; readonly discovery?: OAuthDiscoveryState } | undefined>;
  /** The sign-in under way: it knows its discovery before anything is stored, and keeps a key made for it (stagedSignIn). */
  signIn(): { stagedDpopKey: DpopKey | undefined; stagedDiscovery(): OAuthDiscoveryState | undefined } | undefined;
  /** Stores `key` with the session unless it holds one already; answers the key it holds. */
  keep(key: DpopKey): Promise<DpopKey | undefined>;
}

/**
 * dpopPolicy: the session's DPoP key. A session gets one at sign-in when both sides use DPoP: the
 * authorization server offers ES256 and the resource asks for DPoP (its challenge's scheme, or
 * dpop_* fields in its RFC 9728 metadata). A resource that only knows Bearer keeps Bearer. A session
 * holding a key keeps using it (its tokens may be bound to it).
 */
export class DpopPolicy {
  /** Set when the server's challenge used the DPoP scheme (RFC 9449 §7.1). */
  private resourceAsks = false;
  private keyCreation: Promise<DpopKey> | undefined;
  /** The SDK's DPoP session for the key (one per key, so the servers' nonces are remembered). */
  private cached: { id: string; session: Promise<DpopSession> } | undefined;

  constructor(private readonly ctx: DpopContext) {}

  /** The server answered with a challenge in this scheme (recordChallenges). */
  challenged(scheme: string | undefined): void {
    if (scheme === 'dpop') this.resourceAsks = true;
  }

  /** What provider.dpop() answers: the SDK signs with this wherever the policy chose DPoP. */
  async session(): Promise<DpopSession | undefined> {
    const key = await this.key();
    if (!key) return undefined;
    const id = `${key.privateJwk.x}.${key.privateJwk.y}`;
    if (this.cached?.id !== id) {
      const session = dpopSessionFor(key);
      session.catch(() => this.cached?.session === session && (this.cached = undefined));
      this.cached = { id, session };
    }
    return this.cached.session;
  }

  private async key(): Promise<DpopKey | undefined> {
    const flow = this.ctx.signIn();
    const key = await this.choose(flow);
    // A sign-in commits the key its tokens are bound to, whichever session held it (it may add another account: accounts.ts).
    if (key && flow && !flow.stagedDpopKey) flow.stagedDpopKey = key;
    return key;
  }

  private async choose(flow: ReturnType<DpopContext['signIn']>): Promise<DpopKey | undefined> {
    const s = await this.ctx.session();
    if (!s && !flow) return undefined;
    const key = s?.dpopKey ?? flow?.stagedDpopKey;
    if (key) return key;
    const discovery = flow?.stagedDiscovery() ?? s?.discovery;
    const asAlgs = (discovery?.authorizationServerMetadata as { dpop_signing_alg_values_supported?: unknown } | undefined)?.dpop_signing_alg_values_supported;
    const prm = discovery?.resourceMetadata as { dpop_signing_alg_values_supported?: unknown; dpop_bound_access_tokens_required?: unknown } | undefined;
    const resourceWants = this.resourceAsks || prm?.dpop_bound_access_tokens_required === true || Array.isArray(prm?.dpop_signing_alg_values_supported);
    if (!Array.isArray(asAlgs) || !asAlgs.includes(DPOP_ALG) || !resourceWants) return undefined;
    // No session to hold the key yet: the flow keeps it and commits it with its tokens.
    if (!s) return (flow!.stagedDpopKey ??= generateDpopKey());
    this.keyCreation ??= (async () => {
      const created = generateDpopKey();
      return (await this.ctx.keep(created)) ?? created;
    })().finally(() => (this.keyCreation = undefined));
    return this.keyCreation;
  }
}
