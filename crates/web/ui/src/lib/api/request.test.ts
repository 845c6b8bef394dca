import { describe, expect, it } from 'vitest';
import { SERVER_UNREACHABLE, fetchData } from './request';

describe('fetchData', () => {
	it('gives the data of an answer', async () => {
		expect(await fetchData(async () => ({ data: [1, 2] }), 'Failed.')).toEqual({
			data: [1, 2],
			error: null
		});
	});

	it("gives the server's reason, else the fallback", async () => {
		const problem = { type: 'x', title: 'Forbidden', status: 403, detail: 'admins only' };
		expect(await fetchData(async () => ({ error: problem }), 'Failed.')).toEqual({
			data: null,
			error: 'Admins only'
		});
		expect(await fetchData(async () => ({ error: undefined }), 'Failed.')).toEqual({
			data: null,
			error: 'Failed.'
		});
	});

	it('says so when the server cannot be reached', async () => {
		const request = () => Promise.reject(new TypeError('Failed to fetch'));
		expect(await fetchData(request, 'Failed.')).toEqual({ data: null, error: SERVER_UNREACHABLE });
	});
});
