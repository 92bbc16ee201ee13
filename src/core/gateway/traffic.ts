/**
 * What the gateway tells of its clients' traffic, for a view of who uses it (usage.ts): each classic
 * client session's handshake (the client's name and version, as it gave them: untrusted text, which
 * the view scrubs and caps) and its end; each request of a 2026-07-28 client, which has no session
 * and says who it is in every request; and each call to a server, forwarded as it is
 * (passthrough.ts) or answered by the SDK surface (surface.ts), with its server, method and outcome.
 * Never arguments, results, tokens or session ids.
 */
import { CLIENT_INFO_META_KEY, ProtocolError } from '@modelcontextprotocol/server';
import { isRecord } from '../../protocol';
import { scrubber } from '../scrub';
import type { View } from './names';

export interface ClientSessionInfo {
  /** A number for the session, unique in this gateway's life (never its session id). */
  readonly session: number;
  readonly view: View;
  readonly name: string;
  readonly version: string;
}

/** A 2026-07-28 client as one of its requests names it (`_meta` clientInfo). */
export interface ModernClientInfo {
  readonly view: View;
  readonly name: string;
  readonly version: string;
}

/** How a call ended: fine, or why not in words that hold none of the call's arguments or results. */
export interface CallOutcome {
  /** False for a JSON-RPC error, a tool's error result, or a failure of the hub's. */
  readonly ok: boolean;
  /** Our sentence for a failure of the hub's (scrubbed), when that is what it was. */
  readonly error?: string;
  /** The JSON-RPC error code the server answered with (its message is not kept: it may echo the arguments). */
  readonly code?: number;
}

export interface ForwardedCallInfo extends CallOutcome {
  /** The classic client session that called. */
  readonly session?: number;
  /** The 2026-07-28 client that called (it has no session). */
  readonly modern?: ModernClientInfo;
  readonly server: string;
  readonly method: string;
}

export interface GatewayTraffic {
  clientConnected(info: ClientSessionInfo): void;
  clientDisconnected(session: number): void;
  /** A request of a 2026-07-28 client reached the gateway (any request: lists and discovery too). */
  clientRequested(info: ModernClientInfo): void;
  called(info: ForwardedCallInfo): void;
}

/** Who a 2026-07-28 request says its client is, from its `_meta` envelope; undefined for a request without (a classic one). */
export function modernClientOf(view: View, meta: unknown): ModernClientInfo | undefined {
  const info = isRecord(meta) ? meta[CLIENT_INFO_META_KEY] : undefined;
  if (!isRecord(info)) return undefined;
  return { view, name: typeof info.name === 'string' ? info.name : '', version: typeof info.version === 'string' ? info.version : '' };
}

/** The outcome of a call that threw: a server's JSON-RPC error by its code only, a failure of ours in our (scrubbed) words. */
export function failedOutcome(error: unknown): CallOutcome {
  if (error instanceof ProtocolError) return { ok: false, code: error.code };
  return { ok: false, error: scrubber.message(error instanceof Error ? error.message : 'The call failed.') };
}
