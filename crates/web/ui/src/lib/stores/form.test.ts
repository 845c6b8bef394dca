import { describe, expect, it } from 'vitest';
import { SERVER_UNREACHABLE } from '$lib/api/request';
import { FormStatus } from './form.svelte';

describe('FormStatus', () => {
	it('is busy while the work runs and forgets the last messages', async () => {
		const form = new FormStatus();
		form.error = 'old';
		form.fields = { email: 'old' };
		let busyDuring = false;
		await form.submit(async () => {
			busyDuring = form.busy;
			expect(form.error).toBeNull();
			expect(form.fields).toEqual({});
		});
		expect(busyDuring).toBe(true);
		expect(form.busy).toBe(false);
	});

	it('reports a request that got no answer', async () => {
		const form = new FormStatus();
		await form.submit(() => Promise.reject(new TypeError('Failed to fetch')));
		expect(form.error).toBe(SERVER_UNREACHABLE);
		expect(form.busy).toBe(false);
	});
});
