/**
 * Ready configurations that point other MCP clients at the gateway's combined endpoint. Each holds
 * the token, so they are for the clipboard of the person who asked, never for a log or a notification.
 */
export interface ClientConfig {
  readonly id: string;
  readonly label: string;
  /** Where it goes, in the client's own terms. */
  readonly where: string;
  readonly text: string;
}

export const GATEWAY_SERVER_NAME = 'mcp-hub';

export function clientConfigs(url: string, token: string): ClientConfig[] {
  const header = `Bearer ${token}`;
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  return [
    {
      id: 'claude-code',
      label: 'Claude Code',
      where: 'run in a terminal',
      text: `claude mcp add --transport http ${GATEWAY_SERVER_NAME} ${url} --header "Authorization: ${header}"`,
    },
    {
      id: 'vscode',
      label: 'VS Code (mcp.json)',
      where: 'the "servers" of .vscode/mcp.json or your user mcp.json',
      text: json({ servers: { [GATEWAY_SERVER_NAME]: { type: 'http', url, headers: { Authorization: header } } } }),
    },
    {
      id: 'cursor',
      label: 'Cursor',
      where: 'the "mcpServers" of ~/.cursor/mcp.json',
      text: json({ mcpServers: { [GATEWAY_SERVER_NAME]: { url, headers: { Authorization: header } } } }),
    },
    {
      id: 'codex',
      label: 'Codex CLI',
      where: '~/.codex/config.toml',
      text: `[mcp_servers.${GATEWAY_SERVER_NAME}]\nurl = "${url}"\nhttp_headers = { Authorization = "${header}" }\n`,
    },
    {
      id: 'gemini',
      label: 'Gemini CLI',
      where: 'the "mcpServers" of ~/.gemini/settings.json',
      text: json({ mcpServers: { [GATEWAY_SERVER_NAME]: { httpUrl: url, headers: { Authorization: header } } } }),
    },
    {
      id: 'generic',
      label: 'Any Streamable HTTP client',
      where: 'the URL and the header to send with every request',
      text: `URL: ${url}\nHeader: Authorization: ${header}\n`,
    },
  ];
}
