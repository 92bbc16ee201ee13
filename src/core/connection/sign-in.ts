/**
 * One browser sign-in, held in its own slot beside the attempt: a running server keeps its live
 * attempt while a sign-in for more permission runs. Disposing it (Stop, Log Out, shutdown) ends the
 * flow and silences it; cancelling (the Cancel button) ends the flow and lets it report why.
 */
import type { ServerAuth } from '../oauth/server-auth';

export interface SignInEvents {
  redirectUri(uri: string): void;
  /** The flow ended without tokens (cancelled, denied, timed out, refused). */
  failed(error: unknown): void;
  /** New tokens are saved: connect on them. Awaited before `done` settles. */
  succeeded(): Promise<void>;
}

export class SignIn {
  private readonly abort = new AbortController();
  private disposed = false;
  /** Settles when the sign-in (and the connect after it) is over; rejects with why it failed. */
  readonly done: Promise<void>;

  constructor(
    private readonly auth: ServerAuth,
    private readonly events: SignInEvents,
    /** Runs however the sign-in ends, before `done` settles (the session shown may have changed). */
    after: () => Promise<void>,
    /**
     * quiet: started by the hub (a server chosen for the company identity, no browser page), not by the person;
     * another: Sign in with another account (the authorization server is asked to let the person choose).
     */
    private readonly options: { readonly quiet?: boolean; readonly another?: boolean } = {},
  ) {
    this.done = this.run().finally(after);
  }

  private async run(): Promise<void> {
    try {
      await this.auth.signIn({
        signal: this.abort.signal,
        ...this.options,
        onRedirectUri: (uri) => {
          if (!this.disposed) this.events.redirectUri(uri);
        },
      });
    } catch (error) {
      if (!this.disposed) this.events.failed(error);
      throw error;
    }
    if (!this.disposed) await this.events.succeeded();
  }

  /** Ends the flow; it still reports how it ended (the server returns to authRequired or keeps running). */
  cancel(): void {
    this.abort.abort();
  }

  /** Ends the flow without a report: whoever disposed it has decided the state already. */
  dispose(): void {
    this.disposed = true;
    this.abort.abort();
  }
}
