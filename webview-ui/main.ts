/**
 * The MCP Hub sidebar panel's entry: mounts <mcp-hub-panel> (webview-ui/panel/app.ts), which does the
 * ready handshake, renders the servers and posts the user's intents.
 */
import './panel/app';

(document.getElementById('root') ?? document.body).replaceChildren(document.createElement('mcp-hub-panel'));
