// The load test's ceiling: a bare uWebSockets.js server that reads each POST body to its end
// and answers a fixed GetItem-sized JSON body with DynamoDB's response headers. Nothing can
// answer HTTP faster on this machine through uWebSockets.js, so monodyne's figures are read as
// ratios to this one. Run as its own process: prints "ceiling listening on PORT".
import uWS from 'uWebSockets.js';
import { crc32 } from 'node:zlib';

const body = Buffer.from(process.env.LOADTEST_CEILING_BODY ?? '{"Item":{"pk":{"S":"item#0000001"}}}');
const crc = String(crc32(body));
const requestId = 'CEILING0000000000000000000000000000000000000000000000'.slice(0, 52);

const app = uWS.App();
app.post('/*', (res) => {
  let aborted = false;
  res.onAborted(() => (aborted = true));
  res.onData((_chunk, isLast) => {
    if (!isLast || aborted) return;
    res.cork(() => {
      res
        .writeStatus('200 OK')
        .writeHeader('Content-Type', 'application/x-amz-json-1.0')
        .writeHeader('x-amzn-RequestId', requestId)
        .writeHeader('x-amz-crc32', crc)
        .end(body);
    });
  });
});
app.listen('127.0.0.1', 0, (socket) => {
  if (!socket) {
    console.error('ceiling: cannot listen');
    process.exit(1);
  }
  console.log(`ceiling listening on ${uWS.us_socket_local_port(socket as unknown as uWS.us_socket)}`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
