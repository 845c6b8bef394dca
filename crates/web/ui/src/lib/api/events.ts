import { createParser, type EventSourceMessage } from 'eventsource-parser';

export type { EventSourceMessage };

/**
 * Reads a `text/event-stream` body to its end, handing each event to `onEvent`. The browser's
 * EventSource cannot send an `Authorization` header, so the app reads streams through fetch.
 */
export async function readEventStream(
	body: ReadableStream<Uint8Array>,
	onEvent: (event: EventSourceMessage) => void
): Promise<void> {
	const parser = createParser({ onEvent });
	const decoder = new TextDecoder();
	const reader = body.getReader();
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			// `stream: true` keeps a character split across chunks for the next one.
			parser.feed(decoder.decode(value, { stream: true }));
		}
	} finally {
		reader.releaseLock();
	}
}

export interface FollowOptions {
	/** The stream's path, e.g. `/api/servers/events`. */
	path: string;
	/** The session's token at the time of each (re)connection. */
	token: () => string | null;
	onEvent: (event: EventSourceMessage) => void;
	/** Connected (true) or lost and retrying (false). */
	onConnection?: (connected: boolean) => void;
	/** The server refused the session: the stream stops (the app sends the user to sign in). */
	onUnauthorized?: () => void;
	/** Why the stream ended for good: a status other than 401 that retrying will not fix. */
	onFailure?: (status: number) => void;
	fetch?: typeof fetch;
	/** The first wait before reconnecting; doubled after each failure, up to 15 s. */
	retryMs?: number;
}

const MAX_RETRY_MS = 15_000;

/**
 * Follows an event stream: connects, and after a dropped connection reconnects with backoff
 * (the servers' streams start each connection with a full snapshot, so nothing is missed).
 * Returns the function that stops it.
 */
export function followEvents(options: FollowOptions): () => void {
	const controller = new AbortController();
	const doFetch = options.fetch ?? fetch.bind(globalThis);
	const firstWait = options.retryMs ?? 1_000;

	async function run() {
		let wait = firstWait;
		while (!controller.signal.aborted) {
			let response: Response | null = null;
			try {
				const token = options.token();
				response = await doFetch(options.path, {
					headers: {
						Accept: 'text/event-stream',
						...(token ? { Authorization: `Bearer ${token}` } : {})
					},
					cache: 'no-store',
					signal: controller.signal
				});
			} catch {
				response = null;
			}
			if (controller.signal.aborted) return;
			if (response?.status === 401) {
				options.onUnauthorized?.();
				return;
			}
			if (response && !response.ok && response.status < 500 && response.status !== 429) {
				options.onFailure?.(response.status);
				return;
			}
			if (response?.ok && response.body) {
				options.onConnection?.(true);
				wait = firstWait;
				try {
					await readEventStream(response.body, options.onEvent);
				} catch {
					// Dropped mid-stream: reconnect below.
				}
			}
			if (controller.signal.aborted) return;
			options.onConnection?.(false);
			await sleep(wait, controller.signal);
			wait = Math.min(wait * 2, MAX_RETRY_MS);
		}
	}

	void run();
	return () => controller.abort();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		const timer = setTimeout(resolve, ms);
		signal.addEventListener(
			'abort',
			() => {
				clearTimeout(timer);
				resolve();
			},
			{ once: true }
		);
	});
}
