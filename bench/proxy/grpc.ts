// gRPC unary for the proxy benchmark, with @grpc/grpc-js and raw byte messages (no .proto):
//   node bench/proxy/grpc.ts server <port>                                  a backend answering "ok"
//   node bench/proxy/grpc.ts load <port> <authority> <seconds> <concurrency>  a bounded load loop;
// the loop keeps <concurrency> calls in flight for <seconds> and prints one JSON line:
// {"calls","errors","seconds","rps","p50Ms","p99Ms"}.
import * as grpc from '@grpc/grpc-js';

const service = {
  echo: {
    path: '/trellis.bench.Echo/Echo', requestStream: false, responseStream: false,
    requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b,
  },
} satisfies grpc.ServiceDefinition;

const [mode, ...args] = process.argv.slice(2);
const OK = Buffer.from('ok');

if (mode === 'server') {
  const server = new grpc.Server();
  server.addService(service, { echo: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, OK) });
  server.bindAsync(`127.0.0.1:${args[0]}`, grpc.ServerCredentials.createInsecure(), (err) => { if (err) { console.error(err); process.exit(1); } });
  process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
} else if (mode === 'load') {
  const [port, authority, seconds, concurrency] = [Number(args[0]), args[1], Number(args[2]), Number(args[3])];
  const Client = grpc.makeGenericClientConstructor(service, 'Echo');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), authority ? { 'grpc.default_authority': authority } : {});
  const echo = (client as unknown as { echo: (req: Buffer, cb: (err: grpc.ServiceError | null) => void) => void }).echo.bind(client);
  const lat: number[] = [];
  let errors = 0;
  let firstError = '';
  // Warm the channel (connect) before the clock starts; bounded by a deadline.
  await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 5000, (e) => (e ? reject(e) : resolve())));
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const s = performance.now();
      await new Promise<void>((resolve) => echo(OK, (err) => {
        if (err) { errors++; firstError ||= err.message; } else lat.push(performance.now() - s);
        resolve();
      }));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const took = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : NaN;
  console.log(JSON.stringify({ calls: lat.length, errors, firstError, seconds: took, rps: lat.length / took, p50Ms: pct(0.5), p99Ms: pct(0.99) }));
  client.close();
  process.exit(0);
} else {
  console.error('usage: grpc.ts server <port> | load <port> <authority> <seconds> <concurrency>');
  process.exit(2);
}
