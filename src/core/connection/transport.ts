/**
 * Which transport a server gets: a child process for stdio (with a cleaned environment), Streamable
 * HTTP or legacy SSE for remote servers, with static headers and OAuth wired in. Every call builds
 * fresh transports: one that threw UnauthorizedError cannot be restarted.
 */
import { isAbsolute, relative } from 'node:path';
import { SSEClientTransport, StreamableHTTPClientTransport, type Transport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { RemoteServerConfig, StdioServerConfig } from '../config';
import { isOAuthFlowError } from '../oauth/errors';
import type { ServerAuth } from '../oauth/server-auth';
import type { Logger } from '../ports';
import { serverFetch } from '../server-fetch';
import type { UpstreamPool } from './upstream-pool';

export function stdioTransport(config: StdioServerConfig, untrustedFolder: string | undefined, onStderr: (text: string) => void): StdioClientTransport {
  // The hub always sets cwd: the user's home for user-level entries, the (trusted) workspace folder
  // for workspace entries. Never the editor's own working directory, which may be an untrusted folder.
  const cwd = config.cwd;
  const transport = new StdioClientTransport({
    command: config.command,
    args: [...config.args],
    // Like a terminal: the server sees the editor's environment plus its own `env`. PWD follows
    // cwd (tools that read it must not see the editor's folder); relative PATH entries would
    // resolve against cwd and are dropped.
    env: { ...serverEnvironment(process.env, cwd, untrustedFolder), ...config.env },
    ...(cwd ? { cwd } : {}),
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => onStderr(chunk.toString('utf8')));
  return transport;
}

/** Makes the remote transports of one attempt: the preferred one, and the legacy SSE one for fallback. */
export interface RemoteTransports {
  /** Whether the transports carry credentials from a stored OAuth session. */
  readonly usesSession: boolean;
  streamable(): Transport;
  sse(): Transport;
}

export async function remoteTransports(config: RemoteServerConfig, auth: ServerAuth | undefined, logger: Logger, pool?: UpstreamPool): Promise<RemoteTransports> {
  const url = new URL(config.url);
  let authProvider: Awaited<ReturnType<ServerAuth['transportProvider']>>;
  try {
    authProvider = await auth?.transportProvider();
  } catch (error) {
    // Secret storage may be locked or broken: a server that does not ask for sign-in must still
    // start. Connect without a session; a 401 then says sign-in is needed.
    if (!isOAuthFlowError(error, 'store_unavailable') && !isOAuthFlowError(error, 'store_newer_version')) throw error;
    logger.warn(`${error.message} Connecting without a stored session.`);
    authProvider = undefined;
  }
  // Static headers go to the MCP server's own origin only, never to the authorization server:
  // the SDK would merge `requestInit` headers into its OAuth requests, so they travel in the fetch.
  // Its MCP requests go on the connection's pool (through the OAuth fetch when there is one).
  const options = {
    fetch: serverFetch(config.url, config.headers, auth?.fetch ?? pool?.fetch),
    ...(authProvider ? { authProvider } : {}),
    // A 403 insufficient_scope is the hub's to handle (it asks the user): the SDK must never open a browser mid call.
    onInsufficientScope: 'throw' as const,
    // The hub checks issuers itself (issuerPolicy: a trailing-slash difference is accepted, with a warning).
    skipIssuerMetadataValidation: true,
  };
  return {
    usesSession: authProvider !== undefined,
    streamable: () => new StreamableHTTPClientTransport(url, options),
    sse: () => new SSEClientTransport(url, options),
  };
}

export function hasAuthorizationHeader(config: RemoteServerConfig): boolean {
  // A server configured with its own Authorization header never starts OAuth.
  return config.headers !== undefined && Object.keys(config.headers).some((h) => h.toLowerCase() === 'authorization');
}

/**
 * The environment a stdio server starts with: the editor's, with PWD set to the server's working
 * directory and relative PATH entries (".", "node_modules/.bin") removed: they would run programs
 * from whatever folder the server starts in.
 */
export function serverEnvironment(env: NodeJS.ProcessEnv, cwd: string | undefined, untrustedFolder?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  const pathKey = Object.keys(out).find((k) => k.toUpperCase() === 'PATH');
  if (pathKey) {
    const sep = process.platform === 'win32' ? ';' : ':';
    // An editor started from a shell in the folder (direnv, an activated virtualenv) may have the
    // folder's own bin directories on PATH: while it is untrusted, they are dropped too.
    const inside = (p: string) => untrustedFolder !== undefined && !relative(untrustedFolder, p).startsWith('..') && !isAbsolute(relative(untrustedFolder, p));
    out[pathKey] = out[pathKey]
      .split(sep)
      .filter((p) => p !== '' && isAbsolute(p) && !inside(p))
      .join(sep);
  }
  if (cwd) out.PWD = cwd;
  else delete out.PWD;
  delete out.INIT_CWD;
  return out;
}
