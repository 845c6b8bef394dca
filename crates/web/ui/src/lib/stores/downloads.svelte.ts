import { api } from '$lib/api/client';
import { followEvents } from '$lib/api/events';
import { problemMessage } from '$lib/api/problem';
import { SERVER_UNREACHABLE } from '$lib/api/request';
import type { Download } from '$lib/api/types';
import { isLive, openDownloadOf, upsertDownload } from '$lib/downloads';
import { auth } from './auth.svelte';

type Action = 'pause' | 'resume' | 'cancel';

/**
 * The server's download jobs, live: each unfinished job's progress stream is followed, so a
 * tile moves on every page and comes back after a reload (the jobs are the server's).
 */
export class DownloadsStore {
	list = $state<Download[]>([]);
	loaded = $state(false);
	error = $state<string | null>(null);

	// Bookkeeping, not state anything renders.
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	#streams = new Map<number, () => void>();
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	#finished = new Set<(download: Download) => void>();

	/** Called once for each job that completes while it is followed. */
	onCompleted(callback: (download: Download) => void): () => void {
		this.#finished.add(callback);
		return () => this.#finished.delete(callback);
	}

	async refresh(): Promise<void> {
		try {
			const { data, error } = await api.GET('/api/models/downloads');
			if (!data) {
				this.error = problemMessage(error, 'The downloads cannot be listed.');
				return;
			}
			this.error = null;
			for (const download of data) this.#put(download);
			this.loaded = true;
		} catch {
			this.error = SERVER_UNREACHABLE;
		}
	}

	openFor(modelId: string): Download | undefined {
		return openDownloadOf(this.list, modelId);
	}

	/** Starts (or joins) the download of a model; an error message, or null. */
	async start(modelId: string): Promise<string | null> {
		try {
			const { data, error } = await api.POST('/api/models/download', {
				body: { model_id: modelId }
			});
			if (!data) return problemMessage(error, 'The download could not be started.');
			this.#put(data);
			return null;
		} catch {
			return SERVER_UNREACHABLE;
		}
	}

	async act(id: number, action: Action): Promise<string | null> {
		const params = { params: { path: { id } } };
		try {
			const { data, error } =
				action === 'pause'
					? await api.POST('/api/models/downloads/{id}/pause', params)
					: action === 'resume'
						? await api.POST('/api/models/downloads/{id}/resume', params)
						: await api.POST('/api/models/downloads/{id}/cancel', params);
			if (!data) return problemMessage(error, `The download could not be ${action}d.`);
			this.#put(data);
			return null;
		} catch {
			return SERVER_UNREACHABLE;
		}
	}

	/** Stops following every stream (sign-out). */
	reset(): void {
		for (const stop of this.#streams.values()) stop();
		this.#streams.clear();
		this.list = [];
		this.loaded = false;
	}

	#put(download: Download) {
		const before = this.list.find((d) => d.id === download.id);
		this.list = upsertDownload(this.list, download);
		const now = this.list.find((d) => d.id === download.id) ?? download;
		if (now.status === 'completed' && before && before.status !== 'completed') {
			for (const callback of this.#finished) callback(now);
		}
		if (isLive(now.status)) this.#follow(now.id);
	}

	#follow(id: number) {
		if (this.#streams.has(id)) return;
		const stop = followEvents({
			path: `/api/models/downloads/${id}/events`,
			token: () => auth.token,
			// Each connection starts with the job's state, and the server ends the stream after
			// the final one, which unfollows below; a stream dropped earlier is reconnected.
			onEvent: (message) => {
				try {
					this.#put(JSON.parse(message.data) as Download);
				} catch {
					// Skipped: the next event carries the whole state again.
				}
				const current = this.list.find((d) => d.id === id);
				if (current && !isLive(current.status)) this.#unfollow(id);
			},
			onFailure: () => this.#unfollow(id),
			onUnauthorized: () => this.#unfollow(id)
		});
		this.#streams.set(id, stop);
	}

	#unfollow(id: number) {
		this.#streams.get(id)?.();
		this.#streams.delete(id);
	}
}

export const downloads = new DownloadsStore();
