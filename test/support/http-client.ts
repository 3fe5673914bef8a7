import { request as httpRequest } from 'node:http';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

/**
 * One HTTP request on a connection of its own, from a chosen loopback address (127.0.0.2 stands for another
 * client), with its time to answer. Gives up after 15 s.
 */
export function send(
  url: string,
  path: string,
  options: { method?: string; body?: string; headers?: Record<string, string>; from?: string } = {},
): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const request = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: options.method ?? (body ? 'POST' : 'GET'),
        localAddress: options.from,
        agent: false,
        headers: {
          ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}),
          ...options.headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: Date.now() - started,
          }),
        );
      },
    );
    request.on('error', reject);
    request.setTimeout(15_000, () => request.destroy(new Error('no answer within 15 s')));
    request.end(body);
  });
}
