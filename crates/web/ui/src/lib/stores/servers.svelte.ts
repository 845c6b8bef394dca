import { api } from '$lib/api/client';
import { followEvents } from '$lib/api/events';
import type { ServerEvent } from '$lib/api/types';
import { applyServerEvent, EMPTY_POOL, poolUsedBytes, type PoolView } from '$lib/servers';
import { auth } from './auth.svelte';

/**
 * The model pool as the servers' event stream tells it, shared by every page (the navbar's
 * memory bar, Servers, Home, Chat's model picker). One stream, opened while someone listens.
 */
export class ServersStore {
	view = $state<PoolView>(EMPTY_POOL);
	/** Whether the stream is connected (false while reconnecting). */
	connected = $state(false);
	/** Whether the first snapshot arrived. */
	loaded = $state(false);

	readonly servers = $derived(this.view.servers);
	readonly usedBytes = $derived(poolUsedBytes(this.view.servers));
	readonly limitBytes = $derived(this.view.memoryLimitBytes);

	#listeners = 0;
	#stop: (() => void) | null = null;

	/** Starts following (for the first listener); returns the function that stops listening. */
	start(): () => void {
		this.#listeners += 1;
		if (this.#listeners === 1) this.#open();
		return () => {
			this.#listeners -= 1;
			if (this.#listeners === 0) this.#close();
		};
	}

	/** Applies one event (also what tests drive). */
	apply(event: ServerEvent): void {
		this.view = applyServerEvent(this.view, event);
		if (event.type === 'snapshot') this.loaded = true;
	}

	#open() {
		// The limit is not in the stream's first snapshot; the memory route has it.
		void api.GET('/api/servers/memory').then(({ data }) => {
			if (data && this.view.memoryLimitBytes === null) {
				this.view = {
					...this.view,
					memoryLimitBytes: data.limit_bytes,
					maxLoadedModels: data.max_loaded_models
				};
			}
		});
		this.#stop = followEvents({
			path: '/api/servers/events',
			token: () => auth.token,
			onEvent: (message) => {
				try {
					this.apply(JSON.parse(message.data) as ServerEvent);
				} catch {
					// A malformed event is skipped; the next snapshot corrects the view.
				}
			},
			onConnection: (connected) => (this.connected = connected)
		});
	}

	#close() {
		this.#stop?.();
		this.#stop = null;
		this.connected = false;
	}
}

export const servers = new ServersStore();
