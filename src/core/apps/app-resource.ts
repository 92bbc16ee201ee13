/**
 * A tool's MCP App as the tool runner shows it: its `ui://` resource read through the hub, checked
 * (the MCP Apps MIME type, text or base64, at most APP_HTML_MAX_CHARS), and the Content-Security-Policy
 * and permissions it may have, built from its `_meta.ui` (on the content read, else on its entry in
 * resources/list) and nothing wider.
 *
 * The policy follows the MCP Apps specification's construction with two deliberate narrowings:
 * no `'self'` anywhere (the app's frame is served from the hub's loopback sandbox server, or, in
 * code-server and Codespaces, from the editor's own origin through its port proxy, neither of which
 * an app has any business reaching), and only `https:`/`wss:` origins of public hosts (an app is no
 * way into the person's loopback or private network). A declared origin that does not pass is left
 * out and named in `dropped`, so the tab can say what the app asked for and did not get.
 */
import type { ReadResourceResult, Resource } from '@modelcontextprotocol/client';
import { isIP } from 'node:net';
import { isRecord } from '../config';
import { hubError } from '../errors';
import { MCP_APP_MIME_TYPE } from '../mcp-apps';
import { addressKind, isLoopbackHost } from '../oauth/url-guard';
import { APP_HTML_MAX_CHARS, type AppCspView, type AppPermissionView } from '../../protocol';

export { APP_HTML_MAX_CHARS };
const DOMAINS_MAX = 32;
const DOMAIN_MAX_CHARS = 253;

/** The origins an app declared, as they will be allowed (checked, lower-cased). */
export type AppCsp = AppCspView;
export type AppPermission = AppPermissionView;
export const APP_PERMISSIONS: readonly AppPermission[] = ['camera', 'microphone', 'geolocation', 'clipboardWrite'];

export interface AppResource {
  readonly html: string;
  readonly csp: AppCsp;
  readonly permissions: readonly AppPermission[];
  readonly prefersBorder?: boolean;
  /** Declared origins and permissions that were not granted, in our words ("connectDomains: http://10.0.0.1"). */
  readonly dropped: readonly string[];
}

const CSP_KEYS = ['connectDomains', 'resourceDomains', 'frameDomains', 'baseUriDomains'] as const;
/** scheme://host[:port][/path]: the host a name (a `*.` prefix allowed) or an IPv4 literal; no quotes, spaces or `;`. */
const SOURCE = /^(https|wss):\/\/(\*\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*)(:(?:\d{1,5}|\*))?(\/[a-z0-9\-._~/%]*)?$/;

/** One declared origin as a CSP source expression, or undefined when it is malformed or not public. */
export function cspSource(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > DOMAIN_MAX_CHARS) return undefined;
  const value = raw.trim().toLowerCase();
  const m = SOURCE.exec(value);
  if (!m) return undefined;
  const host = m[3];
  if (isLoopbackHost(host)) return undefined;
  if (isIP(host) !== 0 && addressKind(host) !== 'public') return undefined;
  if (!host.includes('.') && isIP(host) === 0) return undefined;
  return value;
}

/** The app's `_meta.ui.csp` as allowed, and what was left out. */
export function appCsp(raw: unknown): { csp: AppCsp; dropped: string[] } {
  const dropped: string[] = [];
  const ui = isRecord(raw) ? raw : {};
  const lists = Object.fromEntries(
    CSP_KEYS.map((key) => {
      const declared = Array.isArray(ui[key]) ? (ui[key] as unknown[]) : [];
      const kept: string[] = [];
      for (const entry of declared) {
        const source = kept.length < DOMAINS_MAX ? cspSource(entry) : undefined;
        if (source) {
          if (!kept.includes(source)) kept.push(source);
        } else dropped.push(`${key}: ${typeof entry === 'string' ? entry.slice(0, 100) : typeof entry}`);
      }
      return [key, kept];
    }),
  ) as unknown as AppCsp;
  return { csp: lists, dropped };
}

/** The Content-Security-Policy an app's document runs under. */
export function appPolicy(csp: AppCsp): string {
  const list = (sources: readonly string[], otherwise: string) => (sources.length > 0 ? sources.join(' ') : otherwise);
  const resources = csp.resourceDomains.join(' ');
  const with_ = (base: string) => (resources ? `${base} ${resources}` : base);
  return [
    "default-src 'none'",
    `script-src ${with_("'unsafe-inline'")}`,
    `style-src ${with_("'unsafe-inline'")}`,
    `img-src ${with_('data:')}`,
    `font-src ${with_('data:')}`,
    `media-src ${with_('data:')}`,
    `connect-src ${list(csp.connectDomains, "'none'")}`,
    `frame-src ${list(csp.frameDomains, "'none'")}`,
    `base-uri ${list(csp.baseUriDomains, "'none'")}`,
    "object-src 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** The permissions an app declared that the tool runner passes on (the iframe `allow` features), and the unknown ones. */
export function appPermissions(raw: unknown): { permissions: AppPermission[]; dropped: string[] } {
  if (!isRecord(raw)) return { permissions: [], dropped: [] };
  const permissions = APP_PERMISSIONS.filter((p) => isRecord(raw[p]));
  const dropped = Object.keys(raw)
    .filter((k) => !(APP_PERMISSIONS as readonly string[]).includes(k))
    .map((k) => `permissions: ${k.slice(0, 100)}`);
  return { permissions, dropped };
}

const uiMeta = (meta: unknown): Record<string, unknown> | undefined => {
  const ui = isRecord(meta) ? meta.ui : undefined;
  return isRecord(ui) ? ui : undefined;
};

/**
 * The app in a resources/read result for `uri`: the first content with that URI and the MCP Apps
 * MIME type. `listed` is the resource's entry in resources/list, whose `_meta.ui` counts where the
 * content has none. Throws `app_unavailable` naming what was wrong.
 */
export function appResourceFrom(result: ReadResourceResult, uri: string, listed?: Resource): AppResource {
  const content = result.contents.find((c) => c.uri === uri) ?? (result.contents.length === 1 ? result.contents[0] : undefined);
  if (!content) throw hubError('app_unavailable', 'The server returned no content for the app’s resource.');
  const mime = content.mimeType?.toLowerCase().replace(/\s+/g, '');
  if (mime !== MCP_APP_MIME_TYPE) throw hubError('app_unavailable', `The app’s resource is not an MCP App (its MIME type is not ${MCP_APP_MIME_TYPE}).`);
  let html: string;
  if ('text' in content && typeof content.text === 'string') html = content.text;
  else if ('blob' in content && typeof content.blob === 'string') {
    if (content.blob.length > Math.ceil(APP_HTML_MAX_CHARS / 3) * 4 + 4) throw tooLarge();
    html = Buffer.from(content.blob, 'base64').toString('utf8');
  } else throw hubError('app_unavailable', 'The app’s resource has neither text nor blob.');
  if (html.length > APP_HTML_MAX_CHARS) throw tooLarge();
  if (html.trim().length === 0) throw hubError('app_unavailable', 'The app’s resource is empty.');
  const ui = uiMeta(content._meta) ?? uiMeta(listed?._meta) ?? {};
  const { csp, dropped: droppedCsp } = appCsp(ui.csp);
  const { permissions, dropped: droppedPermissions } = appPermissions(ui.permissions);
  return {
    html,
    csp,
    permissions,
    ...(typeof ui.prefersBorder === 'boolean' ? { prefersBorder: ui.prefersBorder } : {}),
    dropped: [...droppedCsp, ...droppedPermissions],
  };
}

const tooLarge = () => hubError('app_unavailable', `The app’s resource is larger than ${APP_HTML_MAX_CHARS / 1_000_000} MB and was not loaded.`);
