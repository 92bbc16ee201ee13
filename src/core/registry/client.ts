/**
 * A client for an MCP registry's published v0.1 API (the official registry's OpenAPI description,
 * which private registries implement too): the server list with `search` and cursor paging, a
 * server's versions, one version, and `latest`. Every request has a deadline and can be cancelled;
 * answers are read to a byte limit before they are parsed (parse.ts); failures are RegistryErrors
 * whose message names the registry and what went wrong, in our words.
 */
import { HubError, type RegistryErrorCode } from '../errors';
import { readAtMost } from '../http-body';
import { isLoopbackHost } from '../oauth/url-guard';
import type { RegistryPage, RegistryServer } from './model';
import { parseServerList, parseServerResponse, RegistryShapeError } from './parse';
import { REGISTRY_URL_SETTING } from './url';

export { OFFICIAL_REGISTRY, REGISTRY_URL_SETTING, sameRegistry } from './url';

/** Bytes read of one answer: a page of servers, or one server's versions. */
export const RESPONSE_BYTES_MAX = 4 * 1024 * 1024;
export const REQUEST_TIMEOUT_MS = 15_000;
/** Servers asked for per page (the person pages on with "Load more…"). */
export const PAGE_SIZE = 30;

export type { RegistryErrorCode } from '../errors';

export class RegistryError extends HubError {
  constructor(
    override readonly code: RegistryErrorCode,
    message: string,
  ) {
    super(code, message);
    this.name = 'RegistryError';
  }
}

export function isRegistryError(error: unknown, code?: RegistryErrorCode): error is RegistryError {
  return error instanceof RegistryError && (code === undefined || error.code === code);
}

/**
 * A registry's base URL as MCP Hub uses it: https (http only on this machine), no credentials,
 * query or fragment, without trailing slashes, e.g. `https://registry.modelcontextprotocol.io`.
 * Throws RegistryError('registry_url_invalid') naming `what` (the setting).
 */
export function registryBase(raw: string, what: string = REGISTRY_URL_SETTING): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new RegistryError('registry_url_invalid', `${what} is not a URL.`);
  }
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new RegistryError('registry_url_invalid', `${what} must be an https URL (http only on this machine).`);
  if (url.username || url.password) throw new RegistryError('registry_url_invalid', `${what} must not carry credentials.`);
  if (url.search || url.hash) throw new RegistryError('registry_url_invalid', `${what} must not have a query or fragment.`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface RegistryClientOptions {
  /** Default: the global fetch. */
  readonly fetch?: FetchLike;
  readonly timeoutMs?: number;
}

export class RegistryClient {
  /** The base URL, normalised (registryBase). */
  readonly url: string;
  /** How messages name the registry: its host (and path, for a registry that lives under one). */
  readonly label: string;
  private readonly fetchFn: FetchLike;
  private readonly timeoutMs: number;

  constructor(url: string, options: RegistryClientOptions = {}) {
    this.url = registryBase(url);
    const u = new URL(this.url);
    this.label = u.pathname === '/' || u.pathname === '' ? u.host : `${u.host}${u.pathname}`;
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  /** One page of servers, latest versions only; `search` matches names (the registry's substring search). */
  async list(options: { search?: string; cursor?: string; limit?: number; signal?: AbortSignal } = {}): Promise<RegistryPage> {
    const params = new URLSearchParams({ limit: String(options.limit ?? PAGE_SIZE), version: 'latest' });
    const search = options.search?.trim();
    if (search) params.set('search', search.slice(0, 200));
    if (options.cursor) params.set('cursor', options.cursor);
    return this.parsed(`${this.url}/v0.1/servers?${params.toString()}`, options.signal, parseServerList);
  }

  /** Every published version of a server (newest first, as the registry orders them). */
  async versions(name: string, signal?: AbortSignal): Promise<readonly RegistryServer[]> {
    const page = await this.parsed(`${this.url}/v0.1/servers/${encodeURIComponent(name)}/versions`, signal, parseServerList);
    return page.servers;
  }

  /** One version of a server, or its latest with `version` "latest". */
  async version(name: string, version: string, signal?: AbortSignal): Promise<RegistryServer> {
    const server = await this.parsed(`${this.url}/v0.1/servers/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`, signal, parseServerResponse);
    if (server.name !== name) throw new RegistryError('registry_invalid_answer', `The MCP registry ${this.label} answered with another server than the one asked for.`);
    return server;
  }

  latest(name: string, signal?: AbortSignal): Promise<RegistryServer> {
    return this.version(name, 'latest', signal);
  }

  private async parsed<T>(url: string, signal: AbortSignal | undefined, parse: (body: unknown) => T): Promise<T> {
    const body = await this.getJson(url, signal);
    try {
      return parse(body);
    } catch (error) {
      if (error instanceof RegistryShapeError) throw new RegistryError('registry_invalid_answer', `The MCP registry ${this.label} ${error.message}.`);
      throw error;
    }
  }

  private async getJson(url: string, signal: AbortSignal | undefined): Promise<unknown> {
    const at = `The MCP registry ${this.label}`;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const stopped = (): RegistryError =>
      signal?.aborted
        ? new RegistryError('registry_cancelled', `The request to the MCP registry ${this.label} was cancelled.`)
        : new RegistryError('registry_timeout', `${at} did not answer within ${Math.ceil(this.timeoutMs / 1000)} s.`);
    let response: Response;
    try {
      // Redirects are not followed: the registry is the URL in settings, not wherever it points.
      response = await this.fetchFn(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal: combined });
    } catch {
      if (combined.aborted) throw stopped();
      throw new RegistryError('registry_unreachable', `${at} could not be reached.`);
    }
    try {
      if (response.status >= 300 && response.status < 400) {
        throw new RegistryError('registry_redirected', `${at} answered with a redirect (HTTP ${response.status}); set ${REGISTRY_URL_SETTING} to the registry's own address.`);
      }
      if (response.status === 404) throw new RegistryError('registry_not_found', `${at} has no such server or version (HTTP 404).`);
      if (!response.ok) throw new RegistryError('registry_http_error', `${at} answered HTTP ${response.status}.`);
      let read: { bytes: Uint8Array; truncated: boolean };
      try {
        read = await readAtMost(response, RESPONSE_BYTES_MAX);
      } catch {
        if (combined.aborted) throw stopped();
        throw new RegistryError('registry_unreachable', `${at} broke off its answer.`);
      }
      if (read.truncated) throw new RegistryError('registry_too_large', `${at} answered more than ${RESPONSE_BYTES_MAX / (1024 * 1024)} MB, more than MCP Hub reads.`);
      try {
        return JSON.parse(new TextDecoder('utf-8', { fatal: false }).decode(read.bytes)) as unknown;
      } catch {
        throw new RegistryError('registry_not_json', `${at} answered something that is not JSON.`);
      }
    } finally {
      // Whatever was not read is let go, so no socket waits on it.
      if (!response.bodyUsed) await response.body?.cancel().catch(() => undefined);
    }
  }
}
