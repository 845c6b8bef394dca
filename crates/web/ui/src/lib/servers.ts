import type { Server, ServerEvent } from '$lib/api/types';

/** What the servers' event stream has told so far. */
export interface PoolView {
	servers: Server[];
	memoryLimitBytes: number | null;
	maxLoadedModels: number | null;
}

export const EMPTY_POOL: PoolView = { servers: [], memoryLimitBytes: null, maxLoadedModels: null };

/** The view after one event of `GET /api/servers/events`. Entries keep their order. */
export function applyServerEvent(view: PoolView, event: ServerEvent): PoolView {
	switch (event.type) {
		case 'snapshot':
			return { ...view, servers: event.servers };
		case 'changed': {
			const fresh = [...event.servers];
			const servers: Server[] = [];
			for (const server of view.servers) {
				if (server.model !== event.model) {
					servers.push(server);
					continue;
				}
				// Keep the place of an entry that is still there.
				const index = fresh.findIndex((s) => s.profile_id === server.profile_id);
				if (index >= 0) servers.push(fresh.splice(index, 1)[0]!);
			}
			return { ...view, servers: [...servers, ...fresh] };
		}
		case 'removed':
			return { ...view, servers: view.servers.filter((s) => s.model !== event.model) };
		case 'limits':
			return {
				...view,
				memoryLimitBytes: event.memory_limit_bytes,
				maxLoadedModels: event.max_loaded_models
			};
	}
}

/** Memory the pool holds: each model once, however many profiles use it. */
export function poolUsedBytes(servers: Server[]): number {
	const byModel = new Map<string, number>();
	for (const server of servers) {
		if (server.state === 'stopped' || server.state === 'failed') continue;
		// While loading, `memory_bytes` is the estimate admission reserved.
		byModel.set(server.model, Math.max(byModel.get(server.model) ?? 0, server.memory_bytes));
	}
	let total = 0;
	for (const bytes of byModel.values()) total += bytes;
	return total;
}

/** A stable key of one tile: its profile, or the model loaded without one. */
export function serverKey(server: Server): string {
	return server.profile_id === null || server.profile_id === undefined
		? `model:${server.model}`
		: `profile:${server.profile_id}`;
}

/** Seconds until an RFC 3339 time (0 once it passed), or null without one. */
export function secondsUntil(iso: string | null | undefined, now: number): number | null {
	if (!iso) return null;
	const at = Date.parse(iso);
	return Number.isNaN(at) ? null : Math.max(0, Math.round((at - now) / 1000));
}

/** Seconds since an RFC 3339 time, or null without one. */
export function secondsSince(iso: string | null | undefined, now: number): number | null {
	if (!iso) return null;
	const at = Date.parse(iso);
	return Number.isNaN(at) ? null : Math.max(0, Math.round((now - at) / 1000));
}
