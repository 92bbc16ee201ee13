// The benchmark's servers: N independent MCP endpoints (one per path) in one process, built on the
// SDK's low-level Server with static lists, each taking INIT_DELAY_MS to answer `initialize`,
// answering POSTs with JSON and offering no GET stream (it never sends server-initiated messages).
// Lean on purpose, so the figure measures the hub and not the fixture's own CPU use on 2 cores.
//   node --import tsx bench/slow-start-server.ts <count> <initDelayMs>   prints {"port":…}
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const count = Number(process.argv[2] ?? 20);
const initDelayMs = Number(process.argv[3] ?? 300);
const tools = [
  { name: 'echo', description: 'Echoes its text', inputSchema: { type: 'object' as const, properties: { text: { type: 'string' } }, required: ['text'] } },
  { name: 'add', description: 'Adds two numbers', inputSchema: { type: 'object' as const, properties: { a: { type: 'number' }, b: { type: 'number' } } } },
];

function newServer(): Server {
  const server = new Server({ name: 'slow-start', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => ({ content: [{ type: 'text', text: JSON.stringify(req.params.arguments) }] }));
  return server;
}

const sessions = new Map<string, StreamableHTTPServerTransport>();
const paths = new Set(Array.from({ length: count }, (_, i) => `/s${i}`));

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  if (!paths.has(path)) return void res.writeHead(404).end();
  // No server-initiated messages here, so no standalone SSE stream: the spec's 405 for GET.
  if (req.method === 'GET') return void res.writeHead(405, { allow: 'POST, DELETE' }).end();
  const body = req.method === 'POST' ? await readJson(req) : undefined;
  const id = req.headers['mcp-session-id'] as string | undefined;
  let transport = id ? sessions.get(id) : undefined;
  if (!transport) {
    if ((body as { method?: string } | undefined)?.method !== 'initialize') return void res.writeHead(400).end();
    await new Promise((r) => setTimeout(r, initDelayMs));
    const created: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (sid) => void sessions.set(sid, created),
    });
    created.onclose = () => void sessions.delete(created.sessionId ?? '');
    await newServer().connect(created);
    transport = created;
  }
  await transport.handleRequest(req, res, body);
}
const http = createServer((req, res) => void handle(req, res));
http.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: (http.address() as AddressInfo).port }) + '\n'));
