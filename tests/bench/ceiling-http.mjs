// The runtime's ceiling: a bare node:http server answering a constant JSON.
import { createServer } from 'node:http';

const body = JSON.stringify({ ok: true });
createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}).listen(Number(process.env.PORT ?? 8080));
