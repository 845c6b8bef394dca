/**
 * The MLX Manager API as a typed client: every path, body and response comes from the server's
 * OpenAPI spec (`schema.ts`, generated), so a renamed route or field is a type error.
 */
import createClient, { type Client } from 'openapi-fetch';

import type { components, operations, paths } from './schema.js';

export type { components, operations, paths };

/** The API's named types, e.g. `Schemas['UserPublic']` or `Schemas['DownloadResponse']`. */
export type Schemas = components['schemas'];

/** An RFC 9457 error body, as every failing call returns. */
export type Problem = components['schemas']['Problem'];

export interface MlxManagerOptions {
  /** Where the server runs, e.g. `http://127.0.0.1:10242`. */
  baseUrl: string;
  /** An API key (`mlxm_…`, created on the Account page) or an access token from `/api/auth/login`. */
  apiKey?: string;
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof globalThis.fetch;
}

export type MlxManagerClient = Client<paths>;

/**
 * Creates a client. Calls return `{ data, error, response }`: `data` on success, `error` (a
 * {@link Problem}) otherwise.
 */
export function createMlxManagerClient(options: MlxManagerOptions): MlxManagerClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    fetch: options.fetch,
  });
  const credential = options.apiKey;
  if (credential) {
    client.use({
      onRequest({ request }) {
        request.headers.set('Authorization', `Bearer ${credential}`);
        return request;
      },
    });
  }
  return client;
}

/** Thrown by {@link unwrap} for a failed call. */
export class MlxManagerError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `request failed with status ${status}`);
    this.name = 'MlxManagerError';
  }
}

/** Returns a call's data, or throws an {@link MlxManagerError} carrying the problem. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) {
    throw new MlxManagerError(response.status, error as Problem | undefined);
  }
  return data as T;
}
