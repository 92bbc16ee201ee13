import { randomBytes } from 'node:crypto';
import type * as vscode from 'vscode';

/**
 * The page every MCP Hub webview loads: a strict Content-Security-Policy with a fresh nonce, our own
 * script and styles from dist/ only. `media` lets a tab show images and audio a server sent (as
 * data: URLs, never fetched from anywhere). `frames` is the one place a tool runner may frame: the
 * MCP Apps sandbox pages (src/core/apps/sandbox-server.ts), whose own policy is the app's.
 */
/** The scripts built as ES modules (scripts/workbench-build.mjs): loaded with type="module", their chunks fetched under the same nonce. */
const MODULE_SCRIPTS = new Set(['workbench.js']);

export function webviewHtml(webview: vscode.Webview, dist: vscode.Uri, options: { script: string; title: string; view?: string; media?: boolean; frames?: string }): string {
  const nonce = randomBytes(16).toString('base64');
  const uri = (...path: string[]) => webview.asWebviewUri(joinPath(dist, ...path)).toString();
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource}${options.media ? ' data:' : ''}`,
    ...(options.media ? ['media-src data:'] : []),
    ...(options.frames ? [`frame-src ${cspSourceOf(options.frames)}`] : []),
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const view = options.view ? ` data-view="${options.view}"` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uri('codicons', 'codicon.css')}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${uri('webview.css')}">
<title>${escapeHtml(options.title)}</title>
</head>
<body${view}>
<div id="root"></div>
<script${MODULE_SCRIPTS.has(options.script) ? ' type="module"' : ''} nonce="${nonce}" src="${uri(options.script)}"></script>
</body>
</html>`;
}

/** A URL as a CSP source expression: origin and path (a trailing slash matches the paths below it); quotes and separators never pass. */
function cspSourceOf(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`.replace(/[;,'"\s]/g, '');
}

function joinPath(base: vscode.Uri, ...path: string[]): vscode.Uri {
  return base.with({ path: [base.path.replace(/\/$/, ''), ...path].join('/') });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
