/**
 * Step-up: a tool refused with 403 insufficient_scope asks for more permission, not a new sign-in.
 * The server's last challenge is kept here (recordChallenges hands each one in); `take()` turns an
 * insufficient_scope challenge into the scopes to ask for: the union of what was granted, what a
 * step-up asked for before and what the server asks for now (the SDK would replace the scopes and,
 * holding a refresh token, only refresh: typescript-sdk #2255). After MAX_STEP_UPS sign-ins for the
 * same scopes it says so instead (`exhausted`): signing in again has not helped.
 * What the row, the tool result and the log then say is failure.ts's (toolRefused, permissionText);
 * the next sign-in asks for `scopeToAsk()` (sign-in.ts).
 */
import type { StepUp as StepUpResult } from '../failure';
import type { Logger } from '../ports';
import type { Challenge } from './middleware/challenges';

/** Step-up sign-ins for the same missing scopes before giving up. */
export const MAX_STEP_UPS = 2;

export class StepUp {
  private challenge: Challenge | undefined;
  private asked: { scopes: Set<string>; attempts: number } | undefined;

  constructor(
    private readonly logger: Logger,
    /** The scopes the stored session was granted. */
    private readonly granted: () => Promise<readonly string[]>,
  ) {}

  /** The server's latest 401 or 403 challenge. */
  get lastChallenge(): Challenge | undefined {
    return this.challenge;
  }

  record(c: Challenge): void {
    this.challenge = c;
    if (c.status === 403 && c.error === 'insufficient_scope') this.logger.info(`the server asks for more scope${c.scope ? ` (${c.scope})` : ''}`);
  }

  /**
   * After a 403 insufficient_scope: the scopes to ask for, or `exhausted` when the step-up limit is
   * reached; undefined when the last challenge was no insufficient_scope. Takes the challenge.
   */
  async take(): Promise<StepUpResult | undefined> {
    const c = this.challenge;
    if (!c || c.status !== 403 || c.error !== 'insufficient_scope') return undefined;
    const wanted = new Set([...(await this.granted()), ...(this.asked?.scopes ?? []), ...(c.scope?.split(' ').filter(Boolean) ?? [])]);
    const key = [...wanted].sort().join(' ');
    const previous = this.asked ? [...this.asked.scopes].sort().join(' ') : undefined;
    const attempts = previous === key ? this.asked!.attempts : 0;
    this.challenge = undefined;
    if (attempts >= MAX_STEP_UPS) return { exhausted: true, scopes: [...wanted] };
    this.asked = { scopes: wanted, attempts };
    return { scopes: [...wanted] };
  }

  /**
   * The scope a browser sign-in asks for, as the SDK would pick it (SEP-835), named here so
   * registration and authorization agree: auth.scope, else a step-up's union, else the challenge's
   * scope, else the resource's scopes_supported.
   */
  scopeToAsk(configured: string | undefined, resourceScopes: readonly string[] | undefined): string | undefined {
    return configured ?? (this.asked ? [...this.asked.scopes].join(' ') : undefined) ?? this.challenge?.scope ?? (resourceScopes?.join(' ') || undefined);
  }

  /** A browser sign-in completed: one more try for the scopes asked. */
  signedIn(): void {
    if (this.asked) this.asked.attempts++;
  }

  /** Log Out: nothing asked any more. */
  reset(): void {
    this.asked = undefined;
    this.challenge = undefined;
  }
}
