/**
 * The SDK Client as the hub sets it up (capabilities, elicitation, list-change notifications) and the
 * paged list calls. All protocol work is the SDK's.
 */
import { Client, type jsonSchemaValidator, type Prompt, type Resource, type Tool } from '@modelcontextprotocol/client';
import { toolAllowed, type ServerConfig } from '../config';
import type { ElicitationHandler, SamplingHandler } from '../ports';
import { MCP_APPS_CLIENT_CAPABILITY, MCP_APPS_EXTENSION } from '../mcp-apps';
import type { RunningLists } from '../state';
import { MODERN_REVISION } from './era';

export type ListKind = 'tools' | 'resources' | 'prompts';

export interface ClientOptions {
  readonly clientInfo: { readonly name: string; readonly version: string };
  readonly jsonSchemaValidator?: jsonSchemaValidator;
  readonly elicitation?: ElicitationHandler;
  /** Answers servers' sampling requests; without it the hub does not offer sampling. */
  readonly sampling?: SamplingHandler;
}

/** How a client meets the server: the classic handshake, `server/discover` with a short probe, or the 2026-07-28 revision only. */
export type Negotiation = { readonly mode: 'legacy' } | { readonly mode: 'auto'; readonly probeMs: number } | { readonly mode: 'modern' };

/** At most this many pages of one list (the SDK walks them; a server whose cursor never ends is cut off). */
const MAX_LIST_PAGES = 100;

export function createClient(serverName: string, options: ClientOptions, negotiation: Negotiation, onListChanged: (kind: ListKind) => void): Client {
  const { elicitation, sampling } = options;
  const client = new Client(options.clientInfo, {
    capabilities: {
      ...(elicitation
        ? {
            elicitation: {
              // applyDefaults: the SDK fills in the schema's defaults for fields the answer leaves out.
              ...(elicitation.modes.form ? { form: { applyDefaults: true } } : {}),
              ...(elicitation.modes.url ? { url: {} } : {}),
            },
          }
        : {}),
      ...(sampling ? { sampling: {} } : {}),
      // The hub passes MCP Apps on to the gateway's clients that render them (mcp-apps.ts).
      extensions: { [MCP_APPS_EXTENSION]: MCP_APPS_CLIENT_CAPABILITY },
    },
    ...(options.jsonSchemaValidator ? { jsonSchemaValidator: options.jsonSchemaValidator } : {}),
    versionNegotiation:
      negotiation.mode === 'legacy'
        ? { mode: 'legacy' }
        : negotiation.mode === 'auto'
          ? // A probe that runs out is sent once more before anything is concluded: slowness is no era.
            { mode: 'auto', probe: { timeoutMs: negotiation.probeMs, maxRetries: 1 } }
          : { mode: { pin: MODERN_REVISION } },
    // 2026-07-28 servers ask for input inside a tool call (input_required): the SDK answers through
    // the same elicitation and sampling handlers and retries the call.
    listMaxPages: MAX_LIST_PAGES,
    // We refresh ourselves, so a filtered-out tool never enters the callable list. On a 2026-07-28 connection
    // the SDK delivers these through subscriptions/listen.
    listChanged: {
      tools: { autoRefresh: false, debounceMs: 50, onChanged: () => onListChanged('tools') },
      resources: { autoRefresh: false, debounceMs: 50, onChanged: () => onListChanged('resources') },
      prompts: { autoRefresh: false, debounceMs: 50, onChanged: () => onListChanged('prompts') },
    },
  });
  if (elicitation) {
    client.setRequestHandler('elicitation/create', (request) => elicitation.elicit(serverName, request.params));
  }
  if (sampling) {
    client.setRequestHandler('sampling/createMessage', (request) => sampling.sample(serverName, request.params));
  }
  return client;
}

/** Every list the server offers, right after the handshake. */
export async function fetchLists(client: Client, config: ServerConfig, signal?: AbortSignal): Promise<RunningLists> {
  const caps = client.getServerCapabilities() ?? {};
  const [tools, resources, prompts] = await Promise.all([
    caps.tools ? listAll(client, config, 'tools', signal) : [],
    caps.resources ? listAll(client, config, 'resources', signal) : [],
    caps.prompts ? listAll(client, config, 'prompts', signal) : [],
  ]);
  return { ...filterTools(config, tools as Tool[]), resources: resources as Resource[], prompts: prompts as Prompt[] };
}

/** The tools anything may call, and the names of those the entry's allow/deny filter (or its organisation's) keeps out. */
export function filterTools(config: ServerConfig, all: readonly Tool[]): Pick<RunningLists, 'tools' | 'filteredTools'> {
  const tools = all.filter((t) => toolAllowed(config, t.name));
  const filteredTools = all.filter((t) => !toolAllowed(config, t.name)).map((t) => t.name);
  return { tools, ...(filteredTools.length > 0 ? { filteredTools } : {}) };
}

/**
 * One whole list; the SDK follows `nextCursor` (up to MAX_LIST_PAGES) and serves a 2026-07-28
 * result from its cache while the server's `ttlMs` says it is fresh. Tools come unfiltered:
 * `filterTools` splits them before anything else sees them.
 */
export async function listAll(client: Client, config: ServerConfig, kind: ListKind, signal?: AbortSignal): Promise<Array<Tool | Resource | Prompt>> {
  const options = { timeout: config.timeoutSeconds * 1000, ...(signal ? { signal } : {}) };
  if (kind === 'tools') return (await client.listTools(undefined, options)).tools;
  if (kind === 'resources') return (await client.listResources(undefined, options)).resources;
  return (await client.listPrompts(undefined, options)).prompts;
}
