// A byte relay: one extra process hop between a client and a server, and nothing else (no parsing),
// the floor any gateway is measured against in figure (g). Run by bench/run.ts:
//   node --import tsx bench/byte-relay.ts <upstream port>
// Prints {"port":…} on one line when listening on 127.0.0.1.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

const upstream = Number(process.argv[2]);

const server = createServer((client: Socket) => {
  const up = connect(upstream, '127.0.0.1');
  client.setNoDelay(true);
  up.setNoDelay(true);
  client.pipe(up);
  up.pipe(client);
  const end = () => {
    client.destroy();
    up.destroy();
  };
  for (const socket of [client, up]) {
    socket.on('error', end);
    socket.on('close', end);
  }
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n'));
