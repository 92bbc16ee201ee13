/**
 * Who answers a server's questions: elicitation/create (a form or a URL for the person) and
 * sampling/createMessage (a completion from the client's language model). While a gateway client's
 * tool call to that server is under way and that client declared the capability (the elicitation
 * mode asked for, or sampling), that client answers. Otherwise the editor's own handler answers
 * elicitation when there is one. Otherwise nobody does: an elicitation is declined and a sampling
 * request refused, with a log line that says why (so the person can see why the tool got no answer).
 */
import { ProtocolError } from '@modelcontextprotocol/client';
import type { ElicitAnswer, ElicitationHandler, ElicitParams, Logger, SampleAnswer, SampleParams, SamplingHandler } from '../ports';

/** A gateway client whose call is under way, as an answerer of its server's questions. */
export interface Asker {
  readonly server: string;
  readonly can: { readonly form: boolean; readonly url: boolean; readonly sampling: boolean };
  elicit(params: ElicitParams): Promise<ElicitAnswer>;
  sample(params: SampleParams): Promise<SampleAnswer>;
}

/** The JSON-RPC code the MCP specification's examples use for a sampling request the client rejects. */
const SAMPLING_REFUSED = -1;

export class InputRouter implements ElicitationHandler, SamplingHandler {
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
    const asker = this.askerFor(server, mode);
    if (asker) return asker.elicit(params);
    if (this.fallback?.modes[mode]) return this.fallback.elicit(server, params);
    this.logger.info(`[${server}] asked for input (${mode} elicitation) but no connected client can answer it; declined`);
    return { action: 'decline' };
  }

  async sample(server: string, params: SampleParams): Promise<SampleAnswer> {
    const asker = this.askerFor(server, 'sampling');
    if (asker) return asker.sample(params);
    this.logger.info(`[${server}] asked for a completion (sampling) but no connected client can answer it; refused`);
    throw new ProtocolError(SAMPLING_REFUSED, `MCP Hub: no client connected to ${server} through MCP Hub can answer sampling requests right now.`);
  }

  /** The most recent call wins: it is the one most likely waiting on this answer. */
  private askerFor(server: string, kind: keyof Asker['can']): Asker | undefined {
    return [...this.askers].reverse().find((a) => a.server === server && a.can[kind]);
  }
}
