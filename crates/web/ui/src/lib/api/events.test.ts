import { describe, expect, it } from 'vitest';
import { followEvents, readEventStream, type EventSourceMessage } from './events';

function body(chunks: string[]): ReadableStream<Uint8Array> {
	const encoder = new TextEncoder();
	return new ReadableStream({
		start(controller) {
			for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
			controller.close();
		}
	});
}

describe('readEventStream', () => {
	it('joins events split across chunks and skips comments', async () => {
		const seen: EventSourceMessage[] = [];
		await readEventStream(
			body([': keep-alive\n\n', 'event: progress\nda', 'ta: {"a":1}\n\nid: 7\ndata: x\n\n']),
			(event) => seen.push(event)
		);
		expect(seen.map((e) => [e.event, e.data])).toEqual([
			['progress', '{"a":1}'],
			[undefined, 'x']
		]);
		expect(seen[1]!.id).toBe('7');
	});
});

describe('followEvents', () => {
	it('sends the token, reconnects after a drop, and stops on 401', async () => {
		const calls: (string | null)[] = [];
		const seen: string[] = [];
		const connections: boolean[] = [];
		let unauthorized = false;
		const answers = [
			() => new Response(body(['data: one\n\n'])),
			() => {
				throw new TypeError('network');
			},
			() => new Response(body(['data: two\n\n'])),
			() => new Response(null, { status: 401 })
		];
		await new Promise<void>((resolve) => {
			followEvents({
				path: '/api/servers/events',
				token: () => 'secret',
				retryMs: 1,
				fetch: async (_url, init) => {
					calls.push(new Headers(init?.headers).get('Authorization'));
					return answers[calls.length - 1]!();
				},
				onEvent: (event) => seen.push(event.data),
				onConnection: (connected) => connections.push(connected),
				onUnauthorized: () => {
					unauthorized = true;
					resolve();
				}
			});
		});
		expect(calls).toEqual(Array(4).fill('Bearer secret'));
		expect(seen).toEqual(['one', 'two']);
		expect(unauthorized).toBe(true);
		expect(connections).toEqual([true, false, false, true, false]);
	});

	it('gives up on a client error and stops when asked', async () => {
		let failed = 0;
		await new Promise<void>((resolve) => {
			followEvents({
				path: '/x',
				token: () => null,
				fetch: async () => new Response(null, { status: 404 }),
				onEvent: () => {},
				onFailure: (status) => {
					failed = status;
					resolve();
				}
			});
		});
		expect(failed).toBe(404);

		let calls = 0;
		const stop = followEvents({
			path: '/y',
			token: () => null,
			retryMs: 1,
			fetch: async () => {
				calls += 1;
				return new Response(null, { status: 503 });
			},
			onEvent: () => {}
		});
		await new Promise((r) => setTimeout(r, 30));
		stop();
		const after = calls;
		await new Promise((r) => setTimeout(r, 30));
		expect(after).toBeGreaterThan(1);
		expect(calls).toBe(after);
	});
});
