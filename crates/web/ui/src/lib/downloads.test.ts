import { describe, expect, it } from 'vitest';
import type { Download } from '$lib/api/types';
import { isShown, openDownloadOf, upsertDownload } from './downloads';

function job(id: number, status: Download['status'], updated: number, model = 'org/m'): Download {
	return {
		id,
		model_id: model,
		revision: 'main',
		status,
		downloaded_bytes: updated,
		total_bytes: 1000,
		progress: updated / 10,
		bytes_per_second: 0,
		files_done: 0,
		files_total: 3,
		created_at: new Date(0).toISOString(),
		updated_at: new Date(updated).toISOString()
	};
}

describe('upsertDownload', () => {
	it('puts a new job first and replaces a job only with a newer snapshot', () => {
		let list = upsertDownload([], job(1, 'downloading', 10));
		list = upsertDownload(list, job(2, 'queued', 5));
		expect(list.map((d) => d.id)).toEqual([2, 1]);
		list = upsertDownload(list, job(1, 'paused', 20));
		expect(list[1]!.status).toBe('paused');
		const stale = upsertDownload(list, job(1, 'downloading', 15));
		expect(stale).toBe(list);
	});
});

describe('which jobs show', () => {
	it('shows unfinished and failed jobs, and finds a model’s open one', () => {
		expect(['queued', 'downloading', 'paused', 'failed'].every((s) => isShown(s as never))).toBe(
			true
		);
		expect(isShown('completed') || isShown('cancelled')).toBe(false);
		const list = [job(3, 'failed', 1, 'a/b'), job(4, 'paused', 1, 'a/b'), job(5, 'queued', 1)];
		expect(openDownloadOf(list, 'a/b')?.id).toBe(4);
		expect(openDownloadOf(list, 'x/y')).toBeUndefined();
	});
});
