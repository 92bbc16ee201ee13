// An HTTP relay in Node: requests parsed by Node's HTTP server and sent on with Node's HTTP client
// (a keep-alive agent), bodies piped through unread. No MCP at all: what Node's HTTP stack alone
// adds per call, the floor for any gateway that reads requests as HTTP in Node (figure g). Run by
// bench/run.ts:   node --import tsx bench/http-proxy.ts <upstream port>
// Prints {"port":…} on one line when listening on 127.0.0.1.
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

const upstream = Number(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: 32 });

const server = createServer((req, res) => {
  const headers = { ...req.headers, host: `127.0.0.1:${upstream}` };
  const up = request({ host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers, agent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  up.on('error', () => res.destroy());
  res.on('close', () => up.destroy());
  req.pipe(up);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n'));
