// The MCP clients of figures (g) and (h), in a process of their own, as Claude Code or VS Code's client
// would be: their CPU is not the gateway's. Run by bench/run.ts:
//   node --import tsx bench/gateway-clients.ts '<json plan>'
// Every side calls the same tool of the same upstream server, each its own way there: straight, through
// a byte relay, through the gateway (one server's route and /mcp), through mcp-remote and supergateway
// (both stdio bridges to Streamable HTTP, as clients without HTTP use them). It prints `phase <name>`
// lines as it starts and ends the phases the gateway's process measures its CPU in, and last one JSON
// line: the sequential call times of each side (interleaved blocks), each load run's throughput.
import { performance } from 'node:perf_hooks';
import { Client, StreamableHTTPClientTransport, type Transport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

interface Side {
  /** A Streamable HTTP endpoint, or a stdio bridge to run. */
  readonly url?: string;
  readonly headers?: Record<string, string>;
  readonly command?: string;
  readonly args?: string[];
  /** The tool's name on this side (/mcp names it <server>__<tool>). */
  readonly tool: string;
}

interface Plan {
  sides: Record<string, Side>;
  calls: number;
  /** Sides whose sequential calls also run alone, the gateway's process measuring its CPU meanwhile. */
  cpu: Record<string, number>;
  load: { sides: string[]; clients: number; perClient: number };
}

const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;
const args = { a: 2, b: 3 };

function transportOf(side: Side): Transport {
  if (side.command) return new StdioClientTransport({ command: side.command, args: side.args ?? [], stderr: 'ignore' });
  return new StreamableHTTPClientTransport(new URL(side.url!), { requestInit: { headers: side.headers ?? {} } });
}

async function connect(side: Side): Promise<Client> {
  const c = new Client({ name: 'bench-client', version: '0' });
  await c.connect(transportOf(side));
  return c;
}

const call = (client: Client, side: Side) => client.callTool({ name: side.tool, arguments: args });

/** `calls` timed calls on each side, in interleaved blocks so drift in the machine's load falls on all alike. */
async function sequential(): Promise<Record<string, number[]>> {
  const names = Object.keys(plan.sides);
  const clients = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await connect(plan.sides[n])] as const)));
  for (let i = 0; i < 100; i++) for (const n of names) await call(clients[n], plan.sides[n]);
  const times = Object.fromEntries(names.map((n) => [n, [] as number[]]));
  const block = 50;
  for (let done = 0; done < plan.calls; done += block) {
    for (const n of names) {
      for (let i = 0; i < block; i++) {
        const t0 = performance.now();
        await call(clients[n], plan.sides[n]);
        times[n].push(performance.now() - t0);
      }
    }
  }
  // Calls of one side alone, while the gateway's process counts its CPU.
  for (const [n, count] of Object.entries(plan.cpu)) {
    process.stdout.write(`phase ${n} start\n`);
    for (let i = 0; i < count; i++) await call(clients[n], plan.sides[n]);
    process.stdout.write(`phase ${n} end\n`);
  }
  await Promise.all(Object.values(clients).map((c) => c.close()));
  return times;
}

interface Load {
  rate: number;
  errors: number;
  /** What the first error said, when there was one. */
  firstError?: string;
}

async function load(side: Side): Promise<Load> {
  const clients = await Promise.all(Array.from({ length: plan.load.clients }, () => connect(side)));
  let errors = 0;
  let firstError: string | undefined;
  const failed = (what: unknown) => {
    errors++;
    // An Error with its causes (fetch's own says only "fetch failed"); a tool's error result as it is.
    const text = (e: unknown): string => (e instanceof Error ? `${e.message}${e.cause ? ` (${text(e.cause)})` : ''}` : typeof e === 'string' ? e : JSON.stringify(e));
    firstError ??= text(what).slice(0, 300);
  };
  const t0 = performance.now();
  await Promise.all(
    clients.map((c) =>
      Promise.all(
        Array.from({ length: plan.load.perClient }, () =>
          call(c, side).then(
            (r) => void (r.isError ? failed(r.content) : undefined),
            (error: unknown) => failed(error),
          ),
        ),
      ),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(clients.map((c) => c.close()));
  return { rate: (plan.load.clients * plan.load.perClient) / seconds, errors, ...(firstError ? { firstError } : {}) };
}

/** Load runs of each side, alternating: on a shared machine one run can meet a burst of someone else's work. */
const LOAD_ROUNDS = 5;

async function main(): Promise<void> {
  const times = await sequential();
  const loads: Record<string, Load & { rates: number[] }> = {};
  // A round first that is not timed (its errors still count): the sequential calls warmed up one
  // session of each side's server, but not what 20 new clients at once meet (the upstream's new
  // sessions and connections on the direct side), which made the first rounds' direct runs slow.
  const warmUp: Record<string, Load> = {};
  for (const n of plan.load.sides) warmUp[n] = await load(plan.sides[n]);
  // Each round runs every side once, in turns, the order reversed every other round, so no side
  // has the machine to itself more than another or always runs first.
  for (let round = 0; round < LOAD_ROUNDS; round++) {
    const order = round % 2 === 0 ? plan.load.sides : [...plan.load.sides].reverse();
    for (const n of order) {
      const r = await load(plan.sides[n]);
      const sum = loads[n] ?? { ...warmUp[n], rate: 0, rates: [] };
      const firstError = sum.firstError ?? r.firstError;
      loads[n] = { rate: Math.max(sum.rate, r.rate), errors: sum.errors + r.errors, rates: [...sum.rates, r.rate], ...(firstError ? { firstError } : {}) };
    }
  }
  process.stdout.write(JSON.stringify({ times, loads }) + '\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
