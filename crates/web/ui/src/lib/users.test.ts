import { describe, expect, it } from 'vitest';
import type { UserPublic } from '$lib/api/types';
import { lastAdminReason, sortUsers } from './users';

let nextId = 1;
function user(overrides: Partial<UserPublic>): UserPublic {
	const id = nextId++;
	return {
		id,
		email: `u${id}@example.com`,
		is_admin: false,
		status: 'approved',
		created_at: `2026-01-0${id}T00:00:00Z`,
		approved_at: null,
		approved_by: null,
		...overrides
	};
}

describe('lastAdminReason', () => {
	it('protects the only approved admin', () => {
		const admin = user({ is_admin: true });
		const users = [admin, user({}), user({ is_admin: true, status: 'disabled' })];
		expect(lastAdminReason(admin, users)).toMatch(/only approved admin/);
	});

	it('allows changes when another approved admin exists', () => {
		const a = user({ is_admin: true });
		const b = user({ is_admin: true });
		expect(lastAdminReason(a, [a, b])).toBeNull();
	});

	it('never protects non-admins, or admins that are not approved', () => {
		const admin = user({ is_admin: true });
		const disabledAdmin = user({ is_admin: true, status: 'disabled' });
		const member = user({});
		expect(lastAdminReason(member, [admin, member])).toBeNull();
		expect(lastAdminReason(disabledAdmin, [admin, disabledAdmin])).toBeNull();
	});
});

describe('sortUsers', () => {
	it('puts pending users first, newest first within a status', () => {
		const a = user({ status: 'approved' });
		const b = user({ status: 'pending' });
		const c = user({ status: 'disabled' });
		const d = user({ status: 'pending' });
		expect(sortUsers([a, b, c, d]).map((u) => u.id)).toEqual([d.id, b.id, a.id, c.id]);
	});
});
