import { beforeEach, describe, expect, it, vi } from 'vitest';

const GET = vi.fn();
vi.mock('$lib/api/client', () => ({ api: { GET: (...args: unknown[]) => GET(...args) } }));

const { pending } = await import('./pending.svelte');

describe('pending', () => {
	beforeEach(() => {
		GET.mockReset();
		pending.reset();
	});

	it('keeps the count and no warning while registration is calm', async () => {
		GET.mockResolvedValue({
			data: { count: 3, limit: 100, near_limit: false, registration_open: true, warning: null }
		});
		await pending.refresh();
		expect(GET).toHaveBeenCalledWith('/api/auth/users/pending/count');
		expect(pending.count).toBe(3);
		expect(pending.warning).toBeNull();
	});

	it("keeps the server's warning near the cap, and forgets it on reset", async () => {
		const warning = 'Registration is closed: 100 accounts are waiting for approval.';
		GET.mockResolvedValue({
			data: { count: 100, limit: 100, near_limit: true, registration_open: false, warning }
		});
		await pending.refresh();
		expect(pending.warning).toBe(warning);
		pending.reset();
		expect(pending.count).toBeNull();
		expect(pending.warning).toBeNull();
	});

	it('keeps the last values when the server is unreachable', async () => {
		GET.mockResolvedValueOnce({
			data: { count: 90, limit: 100, near_limit: true, registration_open: true, warning: 'near' }
		});
		await pending.refresh();
		GET.mockRejectedValueOnce(new TypeError('offline'));
		await pending.refresh();
		expect(pending.count).toBe(90);
		expect(pending.warning).toBe('near');
	});
});
