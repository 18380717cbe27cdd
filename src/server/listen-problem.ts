// Why the front door could not listen: uWebSockets.js only says that it failed, so the same
// address is tried once with node:net, whose error code says why.
import { createServer } from 'node:net';

/** A sentence for the start-up error, from the errno of binding `host:port` exclusively. */
export function listenProblem(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(describeBindError(err.code, host, port)));
    probe.listen({ host, port, exclusive: true }, () => {
      // Free again already (the other holder just stopped): say what uWebSockets.js said.
      probe.close(() => resolve('the address was not available when the server tried it'));
    });
  });
}

export function describeBindError(code: string | undefined, host: string, port: number): string {
  switch (code) {
    case 'EADDRINUSE':
      return `port ${port} is already in use on ${host} (another monodyne, or another server, is listening there): stop it, or choose another port (--port; 0 picks a free one)`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine (--host)`;
    case 'EACCES':
      return `permission denied to listen on port ${port} (ports below 1024 need privileges)`;
    default:
      return `the address is not available (${code ?? 'unknown error'})`;
  }
}
