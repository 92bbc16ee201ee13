/**
 * The gateway's bearer token in secret storage: made once, replaced on request, and a change of it
 * told apart from our own writes. Storing the first token (and a rotation) fires secret storage's
 * change event in this window too; only a value this window did not write (another window rotated
 * it) means the gateway must restart with it.
 */
import { randomBytes } from 'node:crypto';

export const GATEWAY_TOKEN_KEY = 'mcpHub.gateway.token';
/** 256 bits, base64url: 43 characters. */
const MIN_LENGTH = 43;

export class GatewayToken {
  /** The value this window last read or wrote. */
  private known: string | undefined;

  /** `secrets`: the editor's secret storage as it is (a SecretStore, or VS Code's SecretStorage). */
  constructor(private readonly secrets: { get(key: string): PromiseLike<string | undefined>; store(key: string, value: string): PromiseLike<void> }) {}

  /** The stored token, or a new one, stored now. */
  async current(): Promise<string> {
    const stored = await this.secrets.get(GATEWAY_TOKEN_KEY);
    if (stored && stored.length >= MIN_LENGTH) return (this.known = stored);
    return this.replace();
  }

  /** A new token, stored now (rotation). */
  async replace(): Promise<string> {
    const fresh = randomBytes(32).toString('base64url');
    // Known before it is stored: the change event may arrive before store() resolves.
    this.known = fresh;
    await this.secrets.store(GATEWAY_TOKEN_KEY, fresh);
    return fresh;
  }

  /** Whether a change of `key` in secret storage gave the token a value this window did not write. */
  async changedElsewhere(key: string): Promise<boolean> {
    if (key !== GATEWAY_TOKEN_KEY) return false;
    return (await this.secrets.get(GATEWAY_TOKEN_KEY)) !== this.known;
  }
}
