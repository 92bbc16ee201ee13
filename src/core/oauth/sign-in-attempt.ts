/**
 * One sign-in attempt: what it holds (its callback server, its provider, its timeout) and where it
 * is (its phase, the scope it asks for), in one object that one slot of the flow holds. Ending it
 * (Cancel, timeout, stop, Log Out, another sign-in) rejects whatever it waits for, aborts its
 * callback server and forbids its provider to commit anything.
 */
import type { TimerHandle } from '../ports';
import type { CallbackServer } from './callback-server';
import { OAuthFlowError } from './errors';
import type { HubOAuthProvider } from './provider';
import type { SignInPhase } from './wording';

export class SignInAttempt {
  ended: OAuthFlowError | undefined;
  callback: CallbackServer | undefined;
  provider: HubOAuthProvider | undefined;
  timer: TimerHandle | undefined;
  /** Where the flow is, so an SDK error can be told in our words. */
  phase: SignInPhase = 'discovery';
  scope: string | undefined;
  private readonly abort = new AbortController();

  end(reason: OAuthFlowError): void {
    if (this.ended) return;
    this.ended = reason;
    this.provider?.end(reason);
    this.callback?.abort(reason);
    this.abort.abort(reason);
  }

  use(provider: HubOAuthProvider): HubOAuthProvider {
    this.provider = provider;
    if (this.ended) provider.end(this.ended);
    return provider;
  }

  useCallback(callback: CallbackServer): CallbackServer {
    this.callback = callback;
    if (this.ended) {
      callback.abort(this.ended);
      throw this.ended;
    }
    return callback;
  }

  /** Settles as `work` does, or rejects as soon as the attempt ends. */
  until<T>(work: Promise<T>): Promise<T> {
    // Only end() aborts, and it sets `ended` first.
    return untilAborted(work, this.abort.signal, () => this.ended!);
  }

  async close(): Promise<void> {
    this.end(new OAuthFlowError('cancelled', 'Sign-in ended.'));
    await this.callback?.close();
  }
}

/**
 * Settles as `work` does, or rejects with `reason()` as soon as `signal` aborts; `work` is then
 * left to settle unheard. The listener is there only while waiting.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal, reason: () => unknown): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(reason());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => undefined);
      reject(reason());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
