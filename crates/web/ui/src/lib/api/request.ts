import { problemMessage } from './problem';

/** What the user reads when a request got no answer at all. */
export const SERVER_UNREACHABLE = 'The server cannot be reached.';

/** What a read gave: its data, or a sentence for the user. */
export type Fetched<T> = { data: T; error: null } | { data: null; error: string };

/**
 * Runs a read such as `() => api.GET('/api/auth/users')`: its data, or the server's reason
 * (`fallback` when it gives none), or SERVER_UNREACHABLE when it did not answer.
 */
export async function fetchData<T>(
	request: () => Promise<{ data?: T; error?: unknown }>,
	fallback: string
): Promise<Fetched<T>> {
	try {
		const { data, error } = await request();
		return data ? { data, error: null } : { data: null, error: problemMessage(error, fallback) };
	} catch {
		return { data: null, error: SERVER_UNREACHABLE };
	}
}
