/**
 * Who answers a server's questions: elicitation/create (a form or a URL for the person) and
 * sampling/createMessage (a completion from the client's language model). A question belongs to the
 * call it arrives in, and goes to whoever made that call:
 *
 * - a gateway client's call: that client, when it declared the capability (the elicitation mode
 *   asked for, or sampling); an elicitation it cannot answer goes to the person in the editor;
 * - a call the person started (Run… in the editor), or a question tied to no call at all: the
 *   person, through the editor's own handler; never a gateway client.
 *
 * Without anyone to answer, an elicitation is declined and a sampling request refused, with a log
 * line that says why (so the person can see why the tool got no answer).
 *
 * SDK gap: a client's request handler is not told which of its requests a server's request relates
 * to (the Streamable HTTP client transport hands every message to `onmessage` alone, whichever POST
 * stream it came on; the 2026-07-28 input_required flow gives a synthesized context). The call's
 * owner therefore travels in an AsyncLocalStorage: the SDK reads each call's response stream in an
 * async chain that the call started, so a question arriving on that stream, or inside that call's
 * input_required result, is handled in the call's context. A question on a server's standalone
 * stream, or from a stdio server, is read in the connection's context: it names no call.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ProtocolError } from '@modelcontextprotocol/client';
import type { ElicitAnswer, ElicitationHandler, ElicitParams, Logger, SampleAnswer, SampleParams, SamplingHandler } from '../ports';

/** A gateway client whose call is under way, as an answerer of its server's questions. */
export interface Asker {
  readonly server: string;
  readonly can: { readonly form: boolean; readonly url: boolean; readonly sampling: boolean };
  elicit(params: ElicitParams): Promise<ElicitAnswer>;
  sample(params: SampleParams): Promise<SampleAnswer>;
}

/** One forwarded call: whose it is, while it is under way. */
interface Call {
  readonly asker: Asker;
  open: boolean;
}

/** The JSON-RPC code the MCP specification's examples use for a sampling request the client rejects. */
const SAMPLING_REFUSED = -1;

export class InputRouter implements ElicitationHandler, SamplingHandler {
  readonly modes = { form: true, url: true };
  private readonly calls = new AsyncLocalStorage<Call>();

  constructor(
    private readonly logger: Logger,
    private readonly person?: ElicitationHandler,
  ) {}

  /** Runs `fn` (a forwarded call) as `asker`'s: the questions its server asks within it go to `asker`. */
  async during<T>(asker: Asker, fn: () => Promise<T>): Promise<T> {
    const call: Call = { asker, open: true };
    try {
      return await this.calls.run(call, fn);
    } finally {
      // Work the call left behind (a reconnect, a timer) keeps this context: it must name no one.
      call.open = false;
    }
  }

  async elicit(server: string, params: ElicitParams): Promise<ElicitAnswer> {
    const mode = params.mode === 'url' ? 'url' : 'form';
    const asker = this.callerOf(server);
    if (asker?.can[mode]) return asker.elicit(params);
    if (this.person?.modes[mode]) return this.person.elicit(server, params);
    const whose = asker ? 'the client whose call it is cannot answer it' : 'it belongs to no client call and the editor cannot ask you';
    this.logger.info(`[${server}] asked for input (${mode} elicitation) but ${whose}; declined`);
    return { action: 'decline' };
  }

  async sample(server: string, params: SampleParams): Promise<SampleAnswer> {
    const asker = this.callerOf(server);
    if (asker?.can.sampling) return asker.sample(params);
    const whose = asker ? 'the client whose call it is cannot answer it' : 'it belongs to no client call';
    this.logger.info(`[${server}] asked for a completion (sampling) but ${whose}; refused`);
    throw new ProtocolError(SAMPLING_REFUSED, `MCP Hub: no client connected to ${server} through MCP Hub can answer this sampling request.`);
  }

  /** The gateway client whose call to `server` this question arrived in; undefined for the person's calls and for none. */
  private callerOf(server: string): Asker | undefined {
    const call = this.calls.getStore();
    return call?.open && call.asker.server === server ? call.asker : undefined;
  }
}
