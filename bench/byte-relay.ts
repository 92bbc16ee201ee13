// A byte relay: one extra process hop between a client and a server, and nothing else (no parsing),
// the floor any gateway is measured against in figure (g). Run by bench/run.ts:
//   node --import tsx bench/byte-relay.ts <upstream port>
// Prints {"port":…} on one line when listening on 127.0.0.1.
import type { AddressInfo } from 'node:net';
import { tcpRelay } from '../test/fixtures/tcp-relay';

const server = tcpRelay(Number(process.argv[2]));
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n'));
