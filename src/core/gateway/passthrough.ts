/**
 * Pass-through forwarding: a gateway client's request goes to its server as the JSON-RPC message it
 * is, on the hub's own connection (its sign-in, refresh, reconnects), rather than through an SDK
 * Server and an SDK Client that decode and re-encode it. It goes so when the client and the server
 * speak the same protocol era and the server offers what is asked; anything else (era translation,
 * /mcp's lists, a server that is not running, `input_required` held for a 2026-07-28 client) is the
 * SDK surface's (surface.ts), which answers exactly as before.
 *
 * The hub's policy holds on this path too: a tool the settings filter out is neither listed nor
 * callable; a server that is disabled, blocked by policy, waiting for approval or for sign-in is not
 * forwarded to (the surface says why); app-only tools are listed only to clients that render apps.
 * Ids: the client's id is put back on the answer (the upstream saw one of the channel's own);
 * progress comes back under the client's own token; a cancel reaches the server. A question the
 * server asks within a call goes to the client whose call it is (input-router.ts).
 *
 * Every forwarded call passes `report`, the one place a view of the gateway's traffic hooks in.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  ProtocolError,
  type ClientCapabilities,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type JSONRPCResponse,
  type Tool,
} from '@modelcontextprotocol/server';
import { toolAllowed } from '../config';
import type { ForwardedCall, ProtocolEra } from '../connection/upstream-channel';
import { CancelledForward } from '../connection/upstream-channel';
import type { McpHub } from '../hub';
import { isAppOnly, rendersApps } from '../mcp-apps';
import type { Disposable } from '../ports';
import { scrubber } from '../scrub';
import type { Asker, InputRouter } from './input-router';
import { whenReady } from './ready';
import { failedCall, tools, withResourcesOf, type SurfaceOptions, type View } from './surface';
import { failedOutcome, type CallOutcome, type GatewayTraffic, type ModernClientInfo } from './traffic';

const INTERNAL_ERROR = -32603;

/** Requests a server's own endpoint forwards as they are, and the capability the server must offer for each. */
const FORWARDED: Readonly<Record<string, 'tools' | 'resources' | 'prompts' | 'completions'>> = {
  'tools/list': 'tools',
  'tools/call': 'tools',
  'resources/list': 'resources',
  'resources/templates/list': 'resources',
  'resources/read': 'resources',
  'prompts/list': 'prompts',
  'prompts/get': 'prompts',
  'completion/complete': 'completions',
};

/** Where one forwarded request's answer and progress go. */
export interface Caller {
  readonly era: ProtocolEra;
  /** What the client declared it can do (app rendering, elicitation, sampling). */
  capabilities(message: JSONRPCRequest): ClientCapabilities | undefined;
  /** The client as the answerer of questions within its calls (a classic client, whose stream can carry them). */
  asker?(server: string): Asker;
  answer(message: JSONRPCResponse): void;
  notify(message: JSONRPCNotification): void;
  /** Called if the client gives the request up (a cancel, or it went away): `cancel` reaches the server. */
  onCancel(cancel: () => void): void;
  /** Which client session this is, for the traffic view (classic clients). */
  readonly session?: number;
  /** Who the client says it is, for the traffic view (2026-07-28 clients, which have no session). */
  readonly modern?: ModernClientInfo;
}

export interface PassthroughOptions extends SurfaceOptions {
  readonly questions?: InputRouter;
  readonly traffic?: GatewayTraffic;
}

export class Passthrough {
  /** /mcp's tool names, built once per change of the hub's servers. */
  private combined: Map<string, { server: string; upstream: string }> | undefined;
  private readonly subscription: Disposable;

  constructor(
    private readonly hub: McpHub,
    private readonly options: PassthroughOptions,
  ) {
    this.subscription = hub.onDidChange(() => (this.combined = undefined));
  }

  dispose(): void {
    this.subscription.dispose();
  }

  /**
   * Forwards `message` from a client of `view` when it can go as it is, and resolves true once it
   * is on its way; false means it is the surface's to answer.
   */
  async forward(view: View, message: JSONRPCRequest, caller: Caller): Promise<boolean> {
    const target = this.target(view, message);
    if (!target) return false;
    let state = this.hub.server(target.server)?.state.kind;
    if (state !== 'running') {
      // A server that is starting is waited for (within its timeout), as the surface would.
      const ready = await whenReady(this.hub, target.server);
      state = ready?.state.kind;
    }
    const info = state === 'running' ? this.hub.forwarding(target.server) : undefined;
    if (!info || info.era !== caller.era || !info.capabilities[FORWARDED[message.method]]) return false;
    this.send(target.server, target.upstream === undefined ? message : withToolName(message, target.upstream), caller, view === undefined);
    return true;
  }

  /** The server a request goes to, and the tool's own name when /mcp renamed it; undefined when it is not forwarded. */
  private target(view: View, message: JSONRPCRequest): { server: string; upstream?: string } | undefined {
    if (!(message.method in FORWARDED)) return undefined;
    if (view !== undefined) return { server: view };
    // At /mcp only a call goes as it is (to the one server it names); lists and reads are /mcp's own.
    if (message.method !== 'tools/call') return undefined;
    const name = (message.params as { name?: unknown } | undefined)?.name;
    return typeof name === 'string' ? this.combinedTools().get(name) : undefined;
  }

  private combinedTools(): Map<string, { server: string; upstream: string }> {
    this.combined ??= new Map(tools(this.hub, undefined).map((t) => [t.tool.name, { server: t.server, upstream: t.upstream }]));
    return this.combined;
  }

  private send(server: string, message: JSONRPCRequest, caller: Caller, combined: boolean): void {
    const { questions } = this.options;
    const progressToken = message.params?._meta?.progressToken;
    let call: ForwardedCall | undefined;
    const start = () => {
      call = this.hub.forward(server, message, {
        ...(progressToken === undefined ? {} : { onprogress: (params) => caller.notify({ jsonrpc: '2.0', method: 'notifications/progress', params }) }),
      });
      return call.response;
    };
    // A call is its caller's: the server's questions within it go to that client (or to the person), never to another.
    const asker = message.method === 'tools/call' && questions ? caller.asker?.(server) : undefined;
    const response = asker ? questions!.during(asker, start) : start();
    caller.onCancel(() => call?.cancel('The client cancelled the request.'));
    response.then(
      (answer) => {
        this.report(caller, server, message.method, 'error' in answer ? { ok: false, code: answer.error.code } : { ok: answer.result.isError !== true });
        caller.answer(this.answerOf(server, message, answer, caller, combined));
      },
      (error: unknown) => {
        if (error instanceof CancelledForward) return;
        caller.answer(this.failureOf(server, message, error, caller));
      },
    );
  }

  /** The server's answer as the client is to see it: its own id, the filters applied, URIs /mcp serves. */
  private answerOf(server: string, request: JSONRPCRequest, answer: JSONRPCResponse, caller: Caller, combined: boolean): JSONRPCResponse {
    if ('error' in answer) return { jsonrpc: '2.0', id: request.id, error: { ...answer.error, message: scrubber.message(answer.error.message) } };
    let result = answer.result;
    if (request.method === 'tools/list' && Array.isArray(result.tools)) {
      const config = this.hub.server(server)?.config;
      // A client that renders apps keeps app-only tools from its model itself, and needs them listed for its apps to call.
      const all = rendersApps(caller.capabilities(request));
      result = { ...result, tools: (result.tools as Tool[]).filter((t) => config !== undefined && toolAllowed(config, t.name) && (all || !isAppOnly(t))) };
    } else if (combined) result = withResourcesOf(server, result);
    return { jsonrpc: '2.0', id: request.id, result };
  }

  /** A failure of ours (the server gone, sign-in needed, a filtered tool...) in the words the surface uses. */
  private failureOf(server: string, request: JSONRPCRequest, error: unknown, caller: Caller): JSONRPCResponse {
    this.report(caller, server, request.method, failedOutcome(error));
    try {
      if (request.method === 'tools/call') return { jsonrpc: '2.0', id: request.id, result: failedCall(error, server, this.options) };
      throw error;
    } catch (thrown) {
      const code = thrown instanceof ProtocolError ? thrown.code : INTERNAL_ERROR;
      return { jsonrpc: '2.0', id: request.id, error: { code, message: scrubber.message(thrown instanceof Error ? thrown.message : String(thrown)) } };
    }
  }

  /** Where each forwarded call passes: the traffic view hooks in here (server, method, outcome; never arguments or results). */
  private report(caller: Caller, server: string, method: string, outcome: CallOutcome): void {
    this.options.traffic?.called({
      ...(caller.session === undefined ? {} : { session: caller.session }),
      ...(caller.modern === undefined ? {} : { modern: caller.modern }),
      server,
      method,
      ...outcome,
    });
  }
}

function withToolName(message: JSONRPCRequest, name: string): JSONRPCRequest {
  return { ...message, params: { ...message.params, name } };
}

/** What a 2026-07-28 request says its client can do (in its own _meta envelope). */
export function envelopeCapabilities(message: JSONRPCRequest): ClientCapabilities | undefined {
  return message.params?._meta?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
}
