/** Starts an emulator on an ephemeral port and builds real SDK clients against it over HTTP. */
import { Client } from '@hubspot/api-client';
import { HubSpotEmulator, type HubSpotEmulatorOptions } from '../src/hubspot-emulator.js';

export const TEST_TOKEN = 'pat-test-0000-emulator';

export interface EmulatorHarness {
  emulator: HubSpotEmulator;
  client: Client;
  clientWith(token: string): Client;
  /** A raw HTTP call (for endpoints the SDK lacks, and to read exact bodies and headers). */
  request(
    path: string,
    init?: { method?: string; body?: unknown; token?: string | null; timeoutMs?: number },
  ): Promise<RawResponse>;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

export async function startEmulator(options: HubSpotEmulatorOptions = {}): Promise<EmulatorHarness> {
  const emulator = await HubSpotEmulator.start({ host: '127.0.0.1', port: 0, ...options });
  const clientWith = (token: string): Client =>
    new Client({ accessToken: token, basePath: emulator.url, numberOfApiCallRetries: 0 });
  return {
    emulator,
    client: clientWith(TEST_TOKEN),
    clientWith,
    request: async (path, init = {}) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const token = init.token === undefined ? TEST_TOKEN : init.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      const response = await fetch(`${emulator.url}${path}`, {
        method: init.method ?? 'GET',
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(init.timeoutMs ?? 5_000),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
    },
  };
}

/** The promise's outcome, or a rejection after `ms` (how a client gives up on a request that is never answered). */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The HubSpot error an SDK call threw (ApiException: code, body, headers). */
export async function sdkError(
  promise: Promise<unknown>,
): Promise<{ code: number; body: Record<string, unknown>; headers: Record<string, string> }> {
  try {
    await promise;
  } catch (error) {
    const apiError = error as { code?: number; body?: unknown; headers?: Record<string, string> };
    if (typeof apiError.code !== 'number') throw error;
    return { code: apiError.code, body: apiError.body as Record<string, unknown>, headers: apiError.headers ?? {} };
  }
  throw new Error('expected the SDK call to fail');
}

export interface BatchFailure {
  status: string;
  category: string;
  message: string;
  context: Record<string, string[]>;
  errors?: { message: string; code?: string; context?: Record<string, string[]> }[];
}

/** The SDK types batch answers as a union of the 200 and 207 shapes; this reads the 207 part. */
export function batchFailures(response: object): { numErrors: number | undefined; errors: BatchFailure[] } {
  const withErrors = response as { numErrors?: number; errors?: BatchFailure[] };
  return { numErrors: withErrors.numErrors, errors: withErrors.errors ?? [] };
}
