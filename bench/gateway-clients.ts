// The other MCP clients of figures (g) and (h), in a process of their own, as Claude Code or VS Code's
// client would be: their CPU is not the gateway's. Run by bench/run.ts:
//   node --import tsx bench/gateway-clients.ts '<json: { direct, through, headers, calls, clients, perClient }>'
// It prints one JSON line: the sequential call times of each side (interleaved blocks) and each side's
// throughput under load.
import { performance } from 'node:perf_hooks';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

interface Plan {
  direct: string;
  through: string;
  headers: Record<string, string>;
  calls: number;
  clients: number;
  perClient: number;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;
const args = { name: 'add', arguments: { a: 2, b: 3 } };

async function connect(url: string, headers: Record<string, string>): Promise<Client> {
  const c = new Client({ name: 'bench-client', version: '0' });
  await c.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return c;
}

/** `calls` timed calls on each side, in interleaved blocks so drift in the machine's load falls on both alike. */
async function sequential(): Promise<{ direct: number[]; through: number[] }> {
  const sides = { direct: await connect(plan.direct, {}), through: await connect(plan.through, plan.headers) };
  for (let i = 0; i < 100; i++) for (const c of Object.values(sides)) await c.callTool(args);
  const times = { direct: [] as number[], through: [] as number[] };
  const block = 50;
  for (let done = 0; done < plan.calls; done += block) {
    for (const side of ['direct', 'through'] as const) {
      for (let i = 0; i < block; i++) {
        const t0 = performance.now();
        await sides[side].callTool(args);
        times[side].push(performance.now() - t0);
      }
    }
  }
  await Promise.all(Object.values(sides).map((c) => c.close()));
  return times;
}

async function load(url: string, headers: Record<string, string>): Promise<{ rate: number; errors: number }> {
  const clients = await Promise.all(Array.from({ length: plan.clients }, () => connect(url, headers)));
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(clients.map((c) => Promise.all(Array.from({ length: plan.perClient }, () => c.callTool(args).catch(() => errors++)))));
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(clients.map((c) => c.close()));
  return { rate: (plan.clients * plan.perClient) / seconds, errors };
}

async function main(): Promise<void> {
  const times = await sequential();
  const direct = await load(plan.direct, {});
  const through = await load(plan.through, plan.headers);
  process.stdout.write(JSON.stringify({ times, direct, through }) + '\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
