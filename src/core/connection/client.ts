/**
 * The SDK Client as the hub sets it up (capabilities, elicitation, list-change notifications) and the
 * paged list calls. All protocol work is the SDK's.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { ElicitRequestSchema, type Prompt, type Resource, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { isToolAllowed, type ServerConfig } from '../config';
import type { ElicitationHandler } from '../ports';
import type { RunningLists } from '../state';

export type ListKind = 'tools' | 'resources' | 'prompts';

export interface ClientOptions {
  readonly clientInfo: { readonly name: string; readonly version: string };
  readonly jsonSchemaValidator?: jsonSchemaValidator;
  readonly elicitation?: ElicitationHandler;
}

export function createClient(serverName: string, options: ClientOptions, onListChanged: (kind: ListKind) => void): Client {
  const elicitation = options.elicitation;
  const client = new Client(options.clientInfo, {
    capabilities: elicitation
      ? {
          elicitation: {
            // applyDefaults: the SDK fills in the schema's defaults for fields the answer leaves out.
            ...(elicitation.modes.form ? { form: { applyDefaults: true } } : {}),
            ...(elicitation.modes.url ? { url: {} } : {}),
          },
        }
      : {},
    ...(options.jsonSchemaValidator ? { jsonSchemaValidator: options.jsonSchemaValidator } : {}),
    // We refresh ourselves, so a filtered-out tool never enters the list and paging follows our limits.
    listChanged: {
      tools: { autoRefresh: false, debounceMs: 50, onChanged: () => onListChanged('tools') },
      resources: { autoRefresh: false, debounceMs: 50, onChanged: () => onListChanged('resources') },
      prompts: { autoRefresh: false, debounceMs: 50, onChanged: () => onListChanged('prompts') },
    },
  });
  if (elicitation) {
    client.setRequestHandler(ElicitRequestSchema, (request) => elicitation.elicit(serverName, request.params));
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
  return { tools: tools as Tool[], resources: resources as Resource[], prompts: prompts as Prompt[] };
}

/** Follows `nextCursor` to the end (at most 100 pages); a filtered-out tool never enters the list. */
export async function listAll(client: Client, config: ServerConfig, kind: ListKind, signal?: AbortSignal): Promise<Array<Tool | Resource | Prompt>> {
  const out: Array<Tool | Resource | Prompt> = [];
  let cursor: string | undefined;
  const options = { timeout: config.timeoutSeconds * 1000, ...(signal ? { signal } : {}) };
  for (let page = 0; page < 100; page++) {
    const params = cursor ? { cursor } : undefined;
    if (kind === 'tools') {
      const r = await client.listTools(params, options);
      out.push(...r.tools.filter((t) => isToolAllowed(config.tools, t.name)));
      cursor = r.nextCursor;
    } else if (kind === 'resources') {
      const r = await client.listResources(params, options);
      out.push(...r.resources);
      cursor = r.nextCursor;
    } else {
      const r = await client.listPrompts(params, options);
      out.push(...r.prompts);
      cursor = r.nextCursor;
    }
    if (!cursor) break;
  }
  return out;
}
