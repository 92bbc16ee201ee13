/**
 * Who answers a server's elicitation/create: while a gateway client's tool call to that server is
 * under way and the client declared the capability (the mode asked for), that client; else the
 * editor's own handler when there is one; else nobody, and the request is declined (logged, so
 * the person can see why the server's tool got no answer).
 */
import type { ElicitAnswer, ElicitationHandler, ElicitParams, Logger } from '../ports';

export interface Asker {
  readonly server: string;
  readonly modes: { readonly form: boolean; readonly url: boolean };
  ask(params: ElicitParams): Promise<ElicitAnswer>;
}

export class ElicitationRouter implements ElicitationHandler {
  readonly modes = { form: true, url: true };
  private readonly askers = new Set<Asker>();

  constructor(
    private readonly logger: Logger,
    private readonly fallback?: ElicitationHandler,
  ) {}

  /** Runs `fn` (a forwarded call) with `asker` answering its server's questions meanwhile. */
  async during<T>(asker: Asker, fn: () => Promise<T>): Promise<T> {
    this.askers.add(asker);
    try {
      return await fn();
    } finally {
      this.askers.delete(asker);
    }
  }

  async elicit(server: string, params: ElicitParams): Promise<ElicitAnswer> {
    const mode = params.mode === 'url' ? 'url' : 'form';
    // The most recent call wins: it is the one most likely waiting on this answer.
    const asker = [...this.askers].reverse().find((a) => a.server === server && a.modes[mode]);
    if (asker) return asker.ask(params);
    if (this.fallback?.modes[mode]) return this.fallback.elicit(server, params);
    this.logger.info(`[${server}] asked for input (${mode} elicitation) but no connected client can answer it; declined`);
    return { action: 'decline' };
  }
}
