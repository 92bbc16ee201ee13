/**
 * What the gateway tells of its clients' traffic, for a view of who uses it: each classic client
 * session's handshake (the client's name and version, as it gave them: untrusted text, scrubbed and
 * capped here) and its end, and each forwarded call's server, method and outcome. Never arguments,
 * results, tokens or session ids.
 */
import type { View } from './surface';

export interface ClientSessionInfo {
  /** A number for the session, unique in this gateway's life (never its session id). */
  readonly session: number;
  readonly view: View;
  readonly name: string;
  readonly version: string;
}

export interface ForwardedCallInfo {
  readonly session?: number;
  readonly server: string;
  readonly method: string;
  /** False for a JSON-RPC error, a tool's error result, or a failure of the hub's. */
  readonly ok: boolean;
  /** Our sentence for a failure of the hub's (scrubbed), when that is what it was. */
  readonly error?: string;
}

export interface GatewayTraffic {
  clientConnected(info: ClientSessionInfo): void;
  clientDisconnected(session: number): void;
  called(info: ForwardedCallInfo): void;
}
