/**
 * The demo stack, shared by `npm start` and the e2e suites: a real authorization server with a
 * login page (oidc-provider on [::1], which code-server does not rewrite into its port proxy and which the SDK lets use http),
 * an OAuth-protected MCP server, and a plain stdio server; plus the mcpHub.servers that use them.
 */
import { join } from 'node:path';
import { JWT_BEARER_GRANT, startAuthorizationServer, TOKEN_EXCHANGE_GRANT, type AuthorizationServerFixture } from '../../test/fixtures/authorization-server';
import { startProtectedMcpServer, type ProtectedMcpServerFixture } from '../../test/fixtures/protected-server';
import { ROOT } from './paths';

export interface DemoStack {
  readonly as: AuthorizationServerFixture;
  readonly mcp: ProtectedMcpServerFixture;
  readonly servers: Record<string, unknown>;
  close(): Promise<void>;
}

export async function startDemoStack(
  options: { node?: string; asPort?: number; mcpPort?: number; broken?: boolean; withInput?: boolean; everything?: boolean; apps?: boolean; appOnly?: boolean } = {},
): Promise<DemoStack> {
  // It names its accounts (userinfo), so a row says who is signed in and several accounts stay apart.
  const as = await startAuthorizationServer({
    host: '::1',
    userinfo: true,
    claims: (sub) => ({ name: `${sub[0].toUpperCase()}${sub.slice(1)}`, email: `${sub}@example.com` }),
    ...(options.asPort ? { port: options.asPort } : {}),
  });
  const mcp = await startProtectedMcpServer({ authorizationServer: as, name: 'demo-protected', stepUpTool: true, ...(options.mcpPort ? { port: options.mcpPort } : {}) });
  const node = options.node ?? process.execPath;
  const servers: Record<string, unknown> = {
    'protected-demo': { url: mcp.url },
    'local-demo': { command: node, args: [join(ROOT, 'test/fixtures/stdio-server.mjs')], env: { FIXTURE_NAME: 'local-demo' } },
  };
  if (options.withInput) {
    // A server whose API key is an ${input:…}: the row asks for it once and keeps it in secret storage.
    servers['keyed-demo'] = {
      command: node,
      args: [join(ROOT, 'test/fixtures/stdio-server.mjs')],
      env: { FIXTURE_NAME: 'keyed-demo', DEMO_API_KEY: '${input:demo-api-key}' },
    };
  }
  if (options.everything) {
    // The reference server, the way people add it (npx finds it in this project's node_modules, offline).
    servers.everything = { command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything', 'stdio'], cwd: ROOT };
  }
  if (options.apps) {
    // A published MCP Apps server (its get-time tool has an app), added as its README says.
    servers['time-app'] = { command: 'npx', args: ['-y', '--silent', '@modelcontextprotocol/server-basic-vanillajs', '--stdio'], cwd: ROOT };
  }
  if (options.appOnly) {
    // A published MCP Apps server whose app polls a tool only apps may call (visibility ["app"]).
    servers['monitor-app'] = { command: 'npx', args: ['-y', '--silent', '@modelcontextprotocol/server-system-monitor', '--stdio'], cwd: ROOT };
  }
  if (options.broken) {
    servers['broken-demo'] = { command: node, args: [join(ROOT, 'test/fixtures/stdio-server.mjs')], env: { FIXTURE_EXIT_EARLY: '1' } };
  }
  return {
    as,
    mcp,
    servers,
    async close() {
      await mcp.close();
      await as.close();
    },
  };
}

export interface EnterpriseStack {
  /** mcpHub.enterprise.idp for the person's settings. */
  readonly idpSettings: Record<string, unknown>;
  /** Two servers behind an authorization server that takes the company IdP's ID-JAGs. */
  readonly servers: Record<string, unknown>;
  readonly idp: AuthorizationServerFixture;
  /** Every token issued so far: the IdP's (ID tokens, ID-JAGs, refresh tokens) and the servers' access tokens. */
  tokens(): string[];
  close(): Promise<void>;
}

/**
 * A company IdP (oidc-provider with RFC 8693 token exchange for ID-JAGs and a login page) and, behind
 * an authorization server that accepts its ID-JAGs through the JWT bearer grant, two MCP servers.
 */
export async function startEnterpriseStack(options: { redirectUris?: string[]; callbackPort?: number } = {}): Promise<EnterpriseStack> {
  const idp = await startAuthorizationServer({
    host: '::1',
    scopes: [],
    defaultScope: 'openid',
    claims: (sub) => ({ name: `${sub[0].toUpperCase()}${sub.slice(1)}`, email: `${sub}@example.com` }),
    tokenExchange: { clientIdAt: () => 'mcp-hub-enterprise' },
    clients: [
      {
        client_id: 'mcp-hub',
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        // What the administrator registers: the loopback callback (any port), and where the editor
        // forwards it (code-server's port proxy, for a fixed callbackPort).
        redirect_uris: ['http://127.0.0.1/callback', ...(options.redirectUris ?? [])],
        grant_types: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE_GRANT],
        response_types: ['code'],
      },
    ],
  });
  const as = await startAuthorizationServer({
    host: '::1',
    dynamicRegistration: false,
    jwtBearer: { idpIssuer: idp.issuer, idpJwksUri: idp.jwksUri },
    clients: [{ client_id: 'mcp-hub-enterprise', token_endpoint_auth_method: 'none', grant_types: [JWT_BEARER_GRANT], redirect_uris: [], response_types: [] }],
  });
  const crm = await startProtectedMcpServer({ authorizationServer: as, name: 'enterprise-crm' });
  const wiki = await startProtectedMcpServer({ authorizationServer: as, name: 'enterprise-wiki' });
  // The person's company servers: chosen for the company identity, so they sign in by themselves after the IdP sign-in.
  const auth = { clientId: 'mcp-hub-enterprise', enterprise: true };
  return {
    idp,
    idpSettings: { issuer: idp.issuer, clientId: 'mcp-hub', ...(options.callbackPort ? { callbackPort: options.callbackPort } : {}) },
    servers: { 'company-crm': { url: crm.url, auth }, 'company-wiki': { url: wiki.url, auth } },
    tokens: () => [...idp.stats.issuedTokens, ...as.stats.issuedTokens, ...crm.stats.bearerTokens, ...wiki.stats.bearerTokens],
    async close() {
      await Promise.all([crm.close(), wiki.close()]);
      await Promise.all([as.close(), idp.close()]);
    },
  };
}
