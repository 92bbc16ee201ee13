// The client the MCP conformance suite runs (`npm run test:conformance`): the real hub core, headless.
// It does what a user does with one remote server in settings, and nothing scenario-specific:
//   add the server -> sign in when asked -> list the tools -> call each tool once -> quit.
// The runner passes the server URL as the last argument and, for some scenarios, credentials in
// MCP_CONFORMANCE_CONTEXT; only what a user would type is read: settings (see authSettings), the
// arguments of a tool call (see typedArguments), and the person's own state: a company IdP signed
// in to earlier (see enterpriseSession), a workload identity token in a file.
// Exit code: 0 when every step worked, 1 otherwise (the suite judges by its own checks).
import type { Tool } from '@modelcontextprotocol/client';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnterpriseIdp, parseServers, type EnterpriseIdpSettings } from '../../src/core/config';
import { idTokenClaims } from '../../src/core/oauth/account';
import { actionsFor } from '../../src/core/state';
import { HubError } from '../../src/core/errors';
import { McpHub, type HubServer } from '../../src/core/hub';
import { MemorySecretStore, TokenStore } from '../../src/core/oauth/token-store';
import { systemClock, type BrowserOpener, type ElicitationHandler, type Logger } from '../../src/core/ports';
import { scrubber } from '../../src/core/scrub';
import { argumentsFor } from './arguments';
import { navigate } from '../fixtures/navigate';

const NAME = 'conformance';
/** Sign-ins a user would try before giving up (the hub's own step-up limit should stop it first). */
const MAX_SIGN_INS = 4;
const WAIT_MS = 40_000;

const started = Date.now();
function log(level: string, message: string): void {
  const ms = String(Date.now() - started).padStart(5);
  process.stderr.write(`${ms} ${level} ${scrubber.log(message)}\n`);
}
const logger: Logger = {
  trace: (m) => log('trace', m),
  debug: (m) => log('debug', m),
  info: (m) => log('info ', m),
  warn: (m) => log('warn ', m),
  error: (m) => log('error', m),
};

/**
 * A browser without a person: loads the authorization URL and follows redirects, as a browser does
 * when the authorization server approves at once. The last hop is the hub's own loopback callback,
 * which completes the sign-in. Pages that want input are not filled in; the sign-in then times out.
 */
const browser: BrowserOpener = {
  async open(url) {
    void (async () => {
      let current = url;
      for (let hop = 0; hop < 10; hop++) {
        const res = await navigate(current);
        const location = res.headers.get('location');
        await res.body?.cancel();
        logger.debug(`browser: ${res.status} ${new URL(current).origin}${new URL(current).pathname}`);
        if (res.status < 300 || res.status >= 400 || !location) return;
        current = new URL(location, current).href;
      }
    })().catch((e: unknown) => logger.warn(`browser: ${(e as Error).message}`));
    return true;
  },
};

/** Says yes to forms with no input, so the form's defaults apply; URL-mode requests are declined. */
const elicitation: ElicitationHandler = {
  modes: { form: true, url: false },
  async elicit(_server, params) {
    logger.info(`elicitation (${params.mode ?? 'form'}): ${params.message}`);
    return params.mode === 'url' ? { action: 'decline' } : { action: 'accept', content: {} };
  },
};

/**
 * Where this "user" publishes MCP Hub's Client ID Metadata Document (the suite's fixed URL; nothing
 * fetches it). A user who hosts one sets auth.clientMetadataUrl; the hub uses it only with an
 * authorization server that advertises client_id_metadata_document_supported, and registers
 * dynamically (or uses the configured client ID) everywhere else.
 */
const CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';

/**
 * The `auth` settings: the Client ID Metadata Document, plus any credentials the runner hands out
 * the way a server's operator would (client ID and secret, private key). Nothing else is read.
 */
function authSettings(): Record<string, unknown> {
  // A sign-in that no redirect completes (a page wanting input) gives up well before the runner does.
  const auth: Record<string, unknown> = { clientMetadataUrl: CLIENT_METADATA_URL, signInTimeout: 20 };
  const raw = process.env.MCP_CONFORMANCE_CONTEXT;
  if (!raw) return auth;
  const ctx = JSON.parse(raw) as Record<string, unknown>;
  const take = (from: string, to: string) => {
    if (typeof ctx[from] === 'string') auth[to] = ctx[from];
  };
  take('client_id', 'clientId');
  take('client_secret', 'clientSecret');
  take('private_key_pem', 'privateKey');
  take('signing_algorithm', 'privateKeyAlg');
  // A workload whose platform put its identity token in a file: the person points settings at it.
  if (typeof ctx.valid_jwt === 'string') {
    const file = join(mkdtempSync(join(tmpdir(), 'mcp-hub-workload-')), 'token');
    writeFileSync(file, ctx.valid_jwt, { mode: 0o600 });
    auth.grantType = 'jwt-bearer';
    auth.assertion = { file };
  }
  return auth;
}

/**
 * The company IdP, when the runner hands one out: the person's settings name it (issuer and client
 * ID), and the person signed in to it earlier today, so its session (the ID token) is in secret
 * storage already, as a sign-in leaves it.
 */
async function enterpriseSession(store: TokenStore): Promise<EnterpriseIdpSettings | undefined> {
  const raw = process.env.MCP_CONFORMANCE_CONTEXT;
  const ctx = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  if (typeof ctx.idp_issuer !== 'string' || typeof ctx.idp_client_id !== 'string') return undefined;
  const settings = parseEnterpriseIdp({ issuer: ctx.idp_issuer, clientId: ctx.idp_client_id });
  const idToken = ctx.idp_id_token;
  if (settings && typeof idToken === 'string') {
    const exp = idTokenClaims(idToken)?.exp;
    await store.update(settings.issuer, () => ({
      resource: settings.issuer,
      issuer: settings.issuer,
      tokens: { access_token: '', token_type: 'N_A', id_token: idToken },
      ...(typeof exp === 'number' ? { expiresAt: exp * 1000 } : {}),
      updatedAt: Date.now(),
    }));
  }
  return settings;
}

function waitUntil(hub: McpHub, settled: (s: HubServer) => boolean): Promise<HubServer> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const s = hub.server(NAME)!;
      if (!settled(s)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(s);
    };
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out; the server is ${hub.server(NAME)?.state.kind}`));
    }, WAIT_MS);
    const sub = hub.onDidChange((c) => c.name === NAME && check());
    check();
  });
}

/** Until running: signs in whenever the hub says authentication is required, as a user would. */
async function untilRunning(hub: McpHub, signIns: { count: number }): Promise<void> {
  for (;;) {
    const s = await waitUntil(hub, (x) => ['running', 'authRequired', 'error', 'disabled'].includes(x.state.kind));
    if (s.state.kind === 'running') return;
    if (s.state.kind !== 'authRequired') throw new Error(`the server is ${s.state.kind}: ${'message' in s.state ? s.state.message : ''}`);
    if (signIns.count >= MAX_SIGN_INS) throw new Error(`still not signed in after ${signIns.count} sign-ins: ${s.state.reason}`);
    signIns.count++;
    logger.info(`authentication required (${s.state.reason}); signing in`);
    await hub.authenticate(NAME);
  }
}

/**
 * The values the person types into a tool's form, when the runner suggests them (`toolCalls` in
 * its context: a tool name and its arguments); other tools get what their schema suggests.
 */
function typedArguments(): ReadonlyMap<string, Record<string, unknown>> {
  const raw = process.env.MCP_CONFORMANCE_CONTEXT;
  const calls = raw ? (JSON.parse(raw) as { toolCalls?: unknown }).toolCalls : undefined;
  const out = new Map<string, Record<string, unknown>>();
  if (!Array.isArray(calls)) return out;
  for (const call of calls as Array<{ name?: unknown; arguments?: unknown }>) {
    if (typeof call?.name === 'string' && typeof call.arguments === 'object' && call.arguments !== null) out.set(call.name, call.arguments as Record<string, unknown>);
  }
  return out;
}

async function callEach(hub: McpHub, tools: readonly Tool[], signIns: { count: number }): Promise<boolean> {
  let ok = true;
  const typed = typedArguments();
  for (const tool of tools) {
    const args = typed.get(tool.name) ?? argumentsFor(tool.inputSchema, tools);
    try {
      let result;
      try {
        result = await hub.callTool(NAME, tool.name, args);
      } catch (error) {
        // "<server> needs more permission … (Authenticate on <server>'s row)": the row offers Authenticate (the server
        // keeps running on its session meanwhile); click it as a user would, then retry once.
        const server = hub.server(NAME);
        if (
          !(error instanceof HubError && (error.code === 'auth_required' || error.code === 'insufficient_scope')) ||
          !server ||
          !actionsFor(server.state, server.actionContext).includes('authenticate')
        )
          throw error;
        logger.info(`${tool.name}: ${error.message}`);
        if (server.state.kind === 'running') {
          if (signIns.count >= MAX_SIGN_INS) throw error;
          signIns.count++;
          await hub.authenticate(NAME);
        }
        await untilRunning(hub, signIns);
        result = await hub.callTool(NAME, tool.name, args);
      }
      logger.info(`${tool.name}: ${result.isError ? 'tool error' : 'ok'} ${JSON.stringify(result.content).slice(0, 200)}`);
    } catch (error) {
      ok = false;
      logger.error(`${tool.name}: ${(error as Error).message}`);
    }
  }
  return ok;
}

async function main(): Promise<number> {
  const url = process.argv[process.argv.length - 1];
  const store = new TokenStore(new MemorySecretStore());
  const hub = new McpHub({
    logger,
    clock: systemClock,
    clientInfo: { name: 'mcp-hub-conformance', version: '0.1.0' },
    oauth: { store, browser },
    elicitation,
  });
  hub.configureEnterprise(await enterpriseSession(store));
  const entries = parseServers({ [NAME]: { url, auth: authSettings(), timeout: 20 } }, 'user');
  const signIns = { count: 0 };
  try {
    await hub.applyConfig(entries, { trusted: true });
    await untilRunning(hub, signIns);
    const tools = hub.listTools(NAME);
    logger.info(`running: ${tools.length} tools (${tools.map((t) => t.name).join(', ')})`);
    return (await callEach(hub, tools, signIns)) ? 0 : 1;
  } catch (error) {
    logger.error((error as Error).message);
    return 1;
  } finally {
    await hub.dispose();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    logger.error(String(error));
    process.exit(1);
  },
);
