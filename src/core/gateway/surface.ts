/**
 * What a gateway client sees: an SDK `Server` whose handlers forward to the hub. One view is a
 * single hub server (/servers/<name>/mcp, names and URIs as the server gives them) or all of them
 * (/mcp, names made unique by names.ts, and every resource URI, in lists, tool results, prompts and
 * MCP Apps' `_meta.ui.resourceUri`, one that /mcp serves). The hub's lifecycle stays behind it: a
 * call to a server that is starting or retrying waits for it within the server's timeout; a server
 * that needs sign-in answers with an error result that says so; step-up and refresh happen in the hub.
 *
 * MCP Apps pass through: tools keep `_meta.ui`, `ui://` resources keep their MIME type and `_meta`;
 * the extension is declared to clients as the servers behind the endpoint declare it; an app-only
 * tool is listed only to clients that render apps (they keep it from their model themselves) and
 * stays callable by all.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  ProtocolError,
  Server,
  type CallToolResult,
  type ClientCapabilities,
  type CompleteRequestParams,
  type ContentBlock,
  type InputRequiredResult,
  type Prompt,
  type Resource,
  type ResourceTemplateType,
  type ServerContext,
  type Tool,
} from '@modelcontextprotocol/server';
import { isRecord } from '../../protocol';
import { isHubError } from '../errors';
import type { HubServer, McpHub } from '../hub';
import { appsExtensionOf, isAppOnly, MCP_APPS_EXTENSION, rendersApps, withAppUri } from '../mcp-apps';
import type { SampleAnswer } from '../ports';
import { scrubber } from '../scrub';
import { whenReady } from './ready';
import type { HeldCalls, Progress } from './held-calls';
import type { Asker, InputRouter } from './input-router';
import { combinedName, combinedUri, NameIndex, splitCombinedUri, type View } from './names';
import { failedOutcome, modernClientOf, type CallOutcome, type GatewayTraffic } from './traffic';

export type { View };

export interface SurfaceOptions {
  readonly version: string;
  /** Routes a server's questions (elicitation, sampling) to the gateway client whose call they arrive in. */
  readonly questions?: InputRouter;
  /** Calls of 2026-07-28 clients waiting for their answers (input_required); one set per gateway. */
  readonly held?: HeldCalls;
  /** Called when a call needs sign-in, so the editor can offer Authenticate. */
  readonly onSignInNeeded?: (server: string) => void;
  /** Called when a call needs more permission (scope) than the server's session has; `text` says which, for the log. */
  readonly onPermissionNeeded?: (server: string, text: string) => void;
  /** Told of each call this surface answers for a server (traffic.ts). */
  readonly traffic?: GatewayTraffic;
  /** The classic client session this surface serves, for the traffic view; none for 2026-07-28 clients. */
  readonly session?: number;
}

const METHOD_NOT_FOUND = -32601;
const INVALID_PARAMS = -32602;

export function createSurface(hub: McpHub, view: View, options: SurfaceOptions): Server {
  const single = view !== undefined;
  // As the servers behind this endpoint declared it when the client connects.
  const apps = appsExtensionOf(running(hub, view).map((s) => (s.state.kind === 'running' ? s.state.serverInfo.offers?.extensions : undefined)));
  // VS Code names an MCP server's tools `mcp_<prefix>_<tool>`, the prefix being the first 13
  // characters of serverInfo's title (or name), lowercased. One server's endpoint reports the hub's
  // name for it and no title, so its tools read `mcp_<server>_<tool>` there, the same for every server.
  const server = new Server(single ? { name: view, version: options.version } : { name: 'mcp-hub', title: 'MCP Hub', version: options.version }, {
    capabilities: {
      tools: { listChanged: true },
      resources: { listChanged: true },
      prompts: { listChanged: true },
      completions: {},
      ...(apps ? { extensions: { [MCP_APPS_EXTENSION]: apps } } : {}),
    },
    ...(single ? instructionsOf(hub.server(view)) : {}),
  });

  /** Tells the traffic hook of a call answered here (not of /mcp's own lists, which no one server answers). */
  const report = (ctx: ServerContext, name: string, method: string, outcome: CallOutcome) => {
    const { traffic, session } = options;
    if (!traffic) return;
    const modern = session === undefined ? modernClientOf(view, ctx.mcpReq.envelope) : undefined;
    traffic.called({ ...(session !== undefined ? { session } : {}), ...(modern ? { modern } : {}), server: name, method, ...outcome });
  };
  /** Runs a request for server `name`, telling the traffic hook how it ended. */
  const counted = async <R>(ctx: ServerContext, name: string, method: string, answer: () => Promise<R> | R): Promise<R> => {
    try {
      const result = await answer();
      report(ctx, name, method, { ok: true });
      return result;
    } catch (error) {
      report(ctx, name, method, failedOutcome(error));
      throw error;
    }
  };
  /** A request of one server's endpoint is that server's; /mcp's lists are its own. */
  const listed = <R>(ctx: ServerContext, method: string, answer: () => Promise<R> | R): Promise<R> | R => (single ? counted(ctx, view, method, answer) : answer());

  server.setRequestHandler('tools/list', (_request, ctx) =>
    listed(ctx, 'tools/list', () => {
      // A client that renders apps keeps app-only tools from its model itself, and needs them listed for its apps to call.
      const all = rendersApps(clientCapabilities(server, ctx));
      return { tools: tools(hub, view).flatMap((t) => (all || !isAppOnly(t.tool) ? [t.tool] : [])) };
    }),
  );
  server.setRequestHandler('tools/call', async (request, ctx) => {
    // A tool of a server that is starting is not listed yet: wait for the server named in the call.
    const name = view ?? tools(hub, view).find((t) => t.tool.name === request.params.name)?.server ?? serverOfCombined(hub, request.params.name);
    if (name === undefined) return errorResult(`No tool "${scrubber.message(request.params.name)}" in MCP Hub.`);
    let result: CallToolResult | InputRequiredResult;
    try {
      result = await callTool(request.params, ctx, name);
    } catch (error) {
      report(ctx, name, 'tools/call', failedOutcome(error));
      throw error;
    }
    // A refusal or failure of the hub's is an error result in our words: the traffic view shows them.
    if (hubResults.has(result)) report(ctx, name, 'tools/call', { ok: false, error: ((result as CallToolResult).content[0] as { text: string }).text });
    else report(ctx, name, 'tools/call', { ok: !('isError' in result && result.isError === true) });
    return result;
  });
  /** A call to tool `request.name` of server `name`, as the hub answers it. */
  const callTool = async (request: { name: string; arguments?: Record<string, unknown> }, ctx: ServerContext, name: string): Promise<CallToolResult | InputRequiredResult> => {
    const ready = await whenReady(hub, name, ctx.mcpReq.signal);
    if (!ready) return errorResult(`No tool "${scrubber.message(request.name)}" in MCP Hub.`);
    if (ready.state.kind !== 'running') return notRunning(ready, options);
    // One server's endpoint uses its own names (the hub refuses a filtered-out tool); /mcp maps them back.
    const tool = single ? request.name : tools(hub, view).find((t) => t.tool.name === request.name)?.upstream;
    if (!tool) return errorResult(`Server "${name}" has no tool "${scrubber.message(request.name)}" (or it is filtered out in settings).`);
    const args = request.arguments ?? {};
    const progressToken = ctx.mcpReq._meta?.progressToken;
    const onprogress = progressToken !== undefined ? (p: Progress) => void forwardProgress(ctx, progressToken, p) : undefined;
    const { questions, held } = options;
    // At /mcp, resource links and embedded resources name URIs /mcp serves.
    const expose = <R>(result: R): R => (single ? result : withResourcesOf(name, result));
    try {
      if (ctx.mcpReq.envelope && questions && held) {
        // A 2026-07-28 client answers its server's questions in retries of the call (held-calls.ts).
        const state = ctx.mcpReq.requestState();
        const can = canAnswer(modernCapabilities(ctx));
        let call = typeof state === 'string' ? held.resume(state, name, tool) : undefined;
        if (typeof state === 'string' && !call) return errorResult(`This call to ${name} is no longer waiting for answers (it ended or waited too long); call the tool again.`);
        if (call) call.answer(ctx.mcpReq.inputResponses ?? {});
        else if (can.form || can.url || can.sampling) {
          call = held.start(name, tool, (signal, h) =>
            questions.during({ server: name, can, elicit: (p) => h.elicit(p), sample: (p) => h.sample(p) }, () =>
              hub.callTool(name, tool, args, { signal, onprogress: (p) => h.progress?.(p) }),
            ),
          );
        }
        if (call) {
          call.progress = onprogress;
          return expose(await held.round(call, ctx.mcpReq.signal));
        }
      }
      const call = () => hub.callTool(name, tool, args, { signal: ctx.mcpReq.signal, ...(onprogress ? { onprogress } : {}) });
      // The call is this client's even when it cannot answer: its questions then go to the person, never to another client.
      const asker = ctx.mcpReq.envelope ? muteAsker(name) : classicAsker(server, ctx, name);
      return expose(questions ? await questions.during(asker, call) : await call());
    } catch (error) {
      return failedCall(error, name, options);
    }
  };

  server.setRequestHandler('resources/list', (_request, ctx) => listed(ctx, 'resources/list', () => ({ resources: resources(hub, view) })));
  server.setRequestHandler('resources/templates/list', async (_request, ctx) => {
    const { signal } = ctx.mcpReq;
    if (single) return counted(ctx, view, 'resources/templates/list', async () => ({ resourceTemplates: await templatesOf(hub, view, signal, true) }));
    const lists = await Promise.all(running(hub, undefined).map((s) => templatesOf(hub, s.name, signal, false)));
    return { resourceTemplates: lists.flat() };
  });
  server.setRequestHandler('resources/read', async (request, ctx) => {
    const target = single ? { server: view, uri: request.params.uri } : splitCombinedUri(request.params.uri);
    if (!target) throw new ProtocolError(INVALID_PARAMS, `Not a resource of MCP Hub: ${scrubber.message(request.params.uri)}`);
    return counted(ctx, target.server, 'resources/read', async () => {
      await requireRunning(hub, target.server, ctx);
      const result = await hub.use(target.server, (client) => client.readResource({ uri: target.uri }, { signal: ctx.mcpReq.signal }));
      // MIME type and _meta (an app's csp and permissions) as the server gave them; only the URI is /mcp's.
      return single ? result : { ...result, contents: result.contents.map((c) => ({ ...c, uri: combinedUri(target.server, c.uri) })) };
    });
  });

  server.setRequestHandler('prompts/list', (_request, ctx) => listed(ctx, 'prompts/list', () => ({ prompts: prompts(hub, view).map((p) => p.prompt) })));
  server.setRequestHandler('prompts/get', async (request, ctx) => {
    const target = prompts(hub, view).find((p) => p.prompt.name === request.params.name);
    if (!target) throw new ProtocolError(INVALID_PARAMS, `No prompt "${scrubber.message(request.params.name)}" in MCP Hub.`);
    return counted(ctx, target.server, 'prompts/get', async () => {
      await requireRunning(hub, target.server, ctx);
      const result = await hub.use(target.server, (client) => client.getPrompt({ ...request.params, name: target.upstream }, { signal: ctx.mcpReq.signal }));
      return single ? result : { ...result, messages: result.messages.map((m) => ({ ...m, content: exposeContent(target.server, m.content) })) };
    });
  });

  server.setRequestHandler('completion/complete', async (request, ctx) => {
    const target = single ? { server: view, params: request.params } : completionTarget(hub, request.params);
    if (!target) throw new ProtocolError(INVALID_PARAMS, 'Nothing in MCP Hub to complete for this reference.');
    return counted(ctx, target.server, 'completion/complete', async () => {
      await requireRunning(hub, target.server, ctx);
      return hub.use(target.server, (client) => client.complete(target.params, { signal: ctx.mcpReq.signal }));
    });
  });
  return server;
}

/** The server and its own reference for a completion asked at /mcp (a prompt's name, or a template's URI). */
function completionTarget(hub: McpHub, params: CompleteRequestParams): { server: string; params: CompleteRequestParams } | undefined {
  const { ref } = params;
  if (ref.type === 'ref/prompt') {
    const p = prompts(hub, undefined).find((x) => x.prompt.name === ref.name);
    return p && { server: p.server, params: { ...params, ref: { ...ref, name: p.upstream } } };
  }
  const split = splitCombinedUri(ref.uri);
  return split && { server: split.server, params: { ...params, ref: { ...ref, uri: split.uri } } };
}

/**
 * One server's resource templates, for its own endpoint (`wait`: within its timeout when starting)
 * or for /mcp (URIs /mcp serves). A server without resources has no templates; its "method not
 * found" is no error here.
 */
async function templatesOf(hub: McpHub, name: string, signal: AbortSignal, wait: boolean): Promise<ResourceTemplateType[]> {
  const ready = wait ? await whenReady(hub, name, signal) : hub.server(name);
  if (ready?.state.kind !== 'running' || ready.state.serverInfo.offers?.resources === false) return [];
  const result = await hub.use(name, (client) => client.listResourceTemplates(undefined, { signal })).catch(() => ({ resourceTemplates: [] }));
  if (wait) return result.resourceTemplates;
  return result.resourceTemplates.map((t) => ({ ...t, name: combinedName(name, t.name), uriTemplate: combinedUri(name, t.uriTemplate) }));
}

/** A content block with the URI of a linked or embedded resource made one /mcp serves. */
function exposeContent(server: string, c: ContentBlock): ContentBlock {
  if (c.type === 'resource_link') return { ...c, uri: combinedUri(server, c.uri) };
  if (c.type === 'resource') return { ...c, resource: { ...c.resource, uri: combinedUri(server, c.resource.uri) } };
  return c;
}

/** A call's result (or a 2026-07-28 round of it) with its content's resources named for /mcp; anything else as it is. */
export function withResourcesOf<R>(server: string, result: R): R {
  if (!isRecord(result) || !Array.isArray(result.content)) return result;
  return { ...result, content: (result.content as ContentBlock[]).map((c) => exposeContent(server, c)) };
}

/** What the client declared: per request for a 2026-07-28 client, in the handshake for a classic one. */
function clientCapabilities(server: Server, ctx: ServerContext): ClientCapabilities | undefined {
  return modernCapabilities(ctx) ?? server.getClientCapabilities();
}

interface Listed<T> {
  readonly server: string;
  readonly upstream: string;
  readonly tool: T;
}

function running(hub: McpHub, view: View): HubServer[] {
  return hub.servers().filter((s) => s.state.kind === 'running' && (view === undefined || s.name === view));
}

/**
 * The tools of the view (the allow/deny filters already applied by the hub), named for it: at /mcp
 * by one index over all of them, with their apps' resource URIs made ones /mcp serves.
 */
export function tools(hub: McpHub, view: View): Array<Listed<Tool>> {
  const all = running(hub, view).flatMap((s) => (s.state.kind === 'running' ? s.state.tools.map((t) => ({ server: s.name, name: t.name, item: t })) : []));
  if (view !== undefined) return all.map((e) => ({ server: e.server, upstream: e.name, tool: e.item }));
  return named(all, (e, name) => withAppUri({ ...e.item, name }, (uri) => combinedUri(e.server, uri))).map((l) => ({ server: l.server, upstream: l.upstream, tool: l.item }));
}

/** Each entry once, under its name in one index over all of them. */
function named<T, R>(
  entries: ReadonlyArray<{ server: string; name: string; item: T }>,
  rename: (e: { server: string; name: string; item: T }, name: string) => R,
): Array<{ server: string; upstream: string; item: R }> {
  const index = new NameIndex(entries);
  const seen = new Set<string>();
  return entries.flatMap((e) => {
    const name = index.nameOf(e.server, e.name);
    if (name === undefined || seen.has(name)) return [];
    seen.add(name);
    return [{ server: e.server, upstream: e.name, item: rename(e, name) }];
  });
}

function resources(hub: McpHub, view: View): Resource[] {
  return running(hub, view).flatMap((s) =>
    s.state.kind === 'running' ? s.state.resources.map((r) => (view === undefined ? { ...r, name: combinedName(s.name, r.name), uri: combinedUri(s.name, r.uri) } : r)) : [],
  );
}

function prompts(hub: McpHub, view: View): Array<{ server: string; upstream: string; prompt: Prompt }> {
  const all = running(hub, view).flatMap((s) => (s.state.kind === 'running' ? s.state.prompts.map((p) => ({ server: s.name, name: p.name, item: p })) : []));
  const listed = view !== undefined ? all.map((e) => ({ server: e.server, upstream: e.name, item: e.item })) : named(all, (e, name) => ({ ...e.item, name }));
  return listed.map((l) => ({ server: l.server, upstream: l.upstream, prompt: l.item }));
}

/** The hub server a combined tool name belongs to, when that server is not running yet. */
function serverOfCombined(hub: McpHub, name: string): string | undefined {
  return hub
    .servers()
    .map((s) => s.name)
    .filter((s) => name.startsWith(`${s}__`))
    .sort((a, b) => b.length - a.length)[0];
}

function instructionsOf(server: HubServer | undefined): { instructions?: string } {
  return server?.state.kind === 'running' && server.state.instructions ? { instructions: server.state.instructions } : {};
}

async function requireRunning(hub: McpHub, name: string, ctx: ServerContext): Promise<void> {
  const ready = await whenReady(hub, name, ctx.mcpReq.signal);
  if (!ready) throw new ProtocolError(METHOD_NOT_FOUND, `${name} is no longer in MCP Hub's settings.`);
  if (ready.state.kind !== 'running') throw new ProtocolError(METHOD_NOT_FOUND, notRunningText(ready));
}

/** The error results the hub writes itself (refusals, sign-in needed, failures of its own), as opposed to a tool's. */
const hubResults = new WeakSet<object>();

function errorResult(text: string): CallToolResult {
  const result: CallToolResult = { isError: true, content: [{ type: 'text', text }] };
  hubResults.add(result);
  return result;
}

function notRunningText(server: HubServer): string {
  const { name, state } = server;
  switch (state.kind) {
    case 'authRequired':
      // More permission is no sign-in: the reason is the permission sentence (failure.ts permissionText).
      if (state.code === 'insufficient_scope') return scrubber.message(state.reason);
      return `Sign in to ${name} in MCP Hub: it needs you to sign in (the Authenticate button in the MCP Hub panel, or the command "MCP Hub: Authenticate").`;
    case 'needsInput':
      return `${name} needs a value in MCP Hub (Set Value… in the MCP Hub panel) before it can start.`;
    case 'error':
      return `${name} is not running in MCP Hub: ${scrubber.message(state.message)}`;
    case 'disabled':
      if (state.reason === 'policy') return `${name} is blocked by policy in MCP Hub: ${scrubber.message(state.message ?? 'VS Code refuses it')}.`;
      if (state.reason === 'approval') return `${name} is from a workspace's settings and waits for the person's approval in MCP Hub.`;
      return `${name} is disabled in MCP Hub.`;
    case 'stopped':
      return `${name} is stopped in MCP Hub; start it from the MCP Hub panel.`;
    default:
      return `${name} is not ready in MCP Hub (it is ${state.kind}).`;
  }
}

function notRunning(server: HubServer, options: SurfaceOptions): CallToolResult {
  const text = notRunningText(server);
  if (server.state.kind === 'authRequired') {
    if (server.state.code === 'insufficient_scope') options.onPermissionNeeded?.(server.name, text);
    else options.onSignInNeeded?.(server.name);
  }
  return errorResult(text);
}

/** A JSON-RPC error from the server stays one; the hub's own refusals become error results in our words. */
export function failedCall(error: unknown, server: string, options: SurfaceOptions): CallToolResult {
  if (error instanceof ProtocolError) throw new ProtocolError(error.code, scrubber.message(error.message), error.data);
  if (isHubError(error, 'auth_required')) {
    options.onSignInNeeded?.(server);
    return errorResult(`Sign in to ${server} in MCP Hub: ${error.message}`);
  }
  // A missing permission, or one signing in again did not bring: our sentence as it is (no sign-in wording).
  if (isHubError(error, 'insufficient_scope') || isHubError(error, 'scope_refused')) {
    const text = scrubber.message(error.message);
    if (error.code === 'insufficient_scope') options.onPermissionNeeded?.(server, text);
    return errorResult(text);
  }
  const message = error instanceof Error ? error.message : String(error);
  return errorResult(`${server}: ${scrubber.message(message)}`);
}

/** What a client can answer, from its declared capabilities (an empty elicitation capability means form). */
export function canAnswer(caps: ClientCapabilities | undefined): Asker['can'] {
  const elicitation = caps?.elicitation as { form?: object; url?: object } | undefined;
  return {
    form: elicitation !== undefined && (elicitation.form !== undefined || Object.keys(elicitation).length === 0),
    url: elicitation?.url !== undefined,
    sampling: caps?.sampling !== undefined,
  };
}

/** A 2026-07-28 request carries its client's capabilities in its own _meta envelope. */
function modernCapabilities(ctx: ServerContext): ClientCapabilities | undefined {
  return (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
}

/** A client that answers nothing (a 2026-07-28 client that declared no capability to answer). */
function muteAsker(server: string): Asker {
  const none = () => Promise.reject(new Error('This client answers no questions.'));
  return { server, can: { form: false, url: false, sampling: false }, elicit: none, sample: none };
}

/** A classic client, asked by requests of our own within its call, as far as it declared it can answer. */
function classicAsker(surface: Server, ctx: ServerContext, server: string): Asker {
  const can = canAnswer(surface.getClientCapabilities());
  return {
    server,
    can,
    elicit: (params) => ctx.mcpReq.elicitInput(params),
    sample: async (params) => (await ctx.mcpReq.requestSampling(params)) as SampleAnswer,
  };
}

function forwardProgress(ctx: ServerContext, progressToken: string | number, p: Progress): Promise<void> {
  return ctx.mcpReq
    .notify({
      method: 'notifications/progress',
      params: { progressToken, progress: p.progress, ...(p.total !== undefined ? { total: p.total } : {}), ...(p.message !== undefined ? { message: p.message } : {}) },
    })
    .catch(() => undefined);
}
