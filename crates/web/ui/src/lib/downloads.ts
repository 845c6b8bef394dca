import type { Download, DownloadState } from '$lib/api/types';

/** States whose progress still moves: their events are followed. */
export function isLive(status: DownloadState): boolean {
	return status === 'queued' || status === 'downloading';
}

/** States a tile is shown for: still to finish, or failed (with its reason and a retry). */
export function isShown(status: DownloadState): boolean {
	return isLive(status) || status === 'paused' || status === 'failed';
}

/**
 * The list with `download` put in: a newer snapshot of a job replaces the older one (events and
 * action answers can arrive out of order), a new job goes first.
 */
export function upsertDownload(list: Download[], download: Download): Download[] {
	const index = list.findIndex((d) => d.id === download.id);
	if (index < 0) return [download, ...list];
	const current = list[index]!;
	if (Date.parse(download.updated_at) < Date.parse(current.updated_at)) return list;
	const next = [...list];
	next[index] = download;
	return next;
}

/** The open job of a model, if any (one per model, as the server keeps it). */
export function openDownloadOf(list: Download[], modelId: string): Download | undefined {
	return list.find((d) => d.model_id === modelId && isShown(d.status) && d.status !== 'failed');
}
