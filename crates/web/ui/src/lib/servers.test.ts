import { describe, expect, it } from 'vitest';
import type { Server } from '$lib/api/types';
import { applyServerEvent, EMPTY_POOL, poolUsedBytes, serverKey } from './servers';

function server(profile_id: number | null, model: string, extra: Partial<Server> = {}): Server {
	return {
		profile_id,
		profile_name: profile_id === null ? null : `p${profile_id}`,
		model,
		state: 'ready',
		memory_bytes: 100,
		estimated_bytes: 120,
		running: 0,
		queued: 0,
		pinned: false,
		requests_served: 0,
		tokens_generated: 0,
		...extra
	};
}

describe('applyServerEvent', () => {
	it('replaces the view with a snapshot and a model’s entries with its change, in place', () => {
		let view = applyServerEvent(EMPTY_POOL, {
			type: 'snapshot',
			servers: [server(1, 'a/x'), server(2, 'b/y'), server(3, 'a/x')]
		});
		view = applyServerEvent(view, {
			type: 'changed',
			model: 'a/x',
			servers: [server(3, 'a/x', { running: 2 }), server(1, 'a/x', { queued: 1 })]
		});
		expect(view.servers.map((s) => [s.profile_id, s.running, s.queued])).toEqual([
			[1, 0, 1],
			[2, 0, 0],
			[3, 2, 0]
		]);
	});

	it('appends a newly loaded model, drops a removed one and records the limits', () => {
		let view = applyServerEvent(EMPTY_POOL, { type: 'snapshot', servers: [server(1, 'a/x')] });
		view = applyServerEvent(view, {
			type: 'changed',
			model: 'c/z',
			servers: [server(null, 'c/z', { state: 'loading' })]
		});
		expect(view.servers.map(serverKey)).toEqual(['profile:1', 'model:c/z']);
		view = applyServerEvent(view, { type: 'removed', model: 'a/x' });
		expect(view.servers.map(serverKey)).toEqual(['model:c/z']);
		view = applyServerEvent(view, {
			type: 'limits',
			memory_limit_bytes: 4096,
			max_loaded_models: 3
		});
		expect([view.memoryLimitBytes, view.maxLoadedModels]).toEqual([4096, 3]);
	});
});

describe('poolUsedBytes', () => {
	it('counts each model once and nothing for failed ones', () => {
		expect(
			poolUsedBytes([
				server(1, 'a/x', { memory_bytes: 300 }),
				server(2, 'a/x', { memory_bytes: 300 }),
				server(3, 'b/y', { state: 'loading', memory_bytes: 50 }),
				server(4, 'c/z', { state: 'failed', memory_bytes: 999 })
			])
		).toBe(350);
	});
});

describe('countdowns', () => {
	it('count to a time and from one, never below zero', async () => {
		const { secondsSince, secondsUntil } = await import('./servers');
		const now = Date.parse('2026-12-03T12:00:00Z');
		expect(secondsUntil('2026-12-03T12:01:30Z', now)).toBe(90);
		expect(secondsUntil('2026-12-03T11:00:00Z', now)).toBe(0);
		expect(secondsSince('2026-12-03T11:59:00Z', now)).toBe(60);
		expect(secondsUntil(null, now)).toBeNull();
	});
});
