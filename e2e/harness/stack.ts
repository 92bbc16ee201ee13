/**
 * The demo stack, shared by `npm start` and the e2e suites: a real authorization server with a
 * login page (oidc-provider on [::1], which code-server does not rewrite into its port proxy and which the SDK lets use http),
 * an OAuth-protected MCP server, and a plain stdio server; plus the mcpHub.servers that use them.
 */
import { join } from 'node:path';
import { startAuthorizationServer, type AuthorizationServerFixture } from '../../test/fixtures/authorization-server';
import { startProtectedMcpServer, type ProtectedMcpServerFixture } from '../../test/fixtures/protected-server';
import { ROOT } from './paths';

export interface DemoStack {
  readonly as: AuthorizationServerFixture;
  readonly mcp: ProtectedMcpServerFixture;
  readonly servers: Record<string, unknown>;
  close(): Promise<void>;
}

export async function startDemoStack(options: { node?: string; asPort?: number; mcpPort?: number; broken?: boolean; withInput?: boolean } = {}): Promise<DemoStack> {
  const as = await startAuthorizationServer({ host: '::1', ...(options.asPort ? { port: options.asPort } : {}) });
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
