import { beforeEach, describe, expect, it } from 'vitest';
import type { UserPublic } from '$lib/api/types';
import { AuthStore, SESSION_KEY, type SessionStorage } from './auth.svelte';

function memoryStorage(initial: Record<string, string> = {}): SessionStorage & {
	data: Map<string, string>;
} {
	const data = new Map(Object.entries(initial));
	return {
		data,
		getItem: (key) => data.get(key) ?? null,
		setItem: (key, value) => void data.set(key, value),
		removeItem: (key) => void data.delete(key)
	};
}

const admin: UserPublic = {
	id: 1,
	email: 'ada@example.com',
	is_admin: true,
	status: 'approved',
	created_at: '2026-01-01T00:00:00Z',
	approved_at: '2026-01-01T00:00:00Z',
	approved_by: null
};

const member: UserPublic = { ...admin, id: 2, email: 'bob@example.com', is_admin: false };

describe('AuthStore', () => {
	let storage: ReturnType<typeof memoryStorage>;

	beforeEach(() => {
		storage = memoryStorage();
	});

	it('starts signed out with empty storage', () => {
		const store = new AuthStore(storage);
		expect(store.token).toBeNull();
		expect(store.user).toBeNull();
		expect(store.isAuthenticated).toBe(false);
		expect(store.isAdmin).toBe(false);
	});

	it('persists the session and restores it in a new store (a reload)', () => {
		const store = new AuthStore(storage);
		store.setSession('tok-1');
		store.setUser(admin);
		expect(JSON.parse(storage.data.get(SESSION_KEY)!)).toEqual({ token: 'tok-1', user: admin });

		const reloaded = new AuthStore(storage);
		expect(reloaded.token).toBe('tok-1');
		expect(reloaded.user).toEqual(admin);
		expect(reloaded.isAuthenticated).toBe(true);
		expect(reloaded.isAdmin).toBe(true);
	});

	it('derives isAuthenticated and isAdmin as the session changes', () => {
		const store = new AuthStore(storage);
		store.setSession('tok', member);
		expect(store.isAuthenticated).toBe(true);
		expect(store.isAdmin).toBe(false);

		store.setUser(admin);
		expect(store.isAdmin).toBe(true);

		// An admin flag on a disabled account grants nothing.
		store.setUser({ ...admin, status: 'disabled' });
		expect(store.isAdmin).toBe(false);
	});

	it('replaces the token and keeps the user (password change)', () => {
		const store = new AuthStore(storage);
		store.setSession('old', member);
		store.setToken('new');
		expect(new AuthStore(storage)).toMatchObject({ token: 'new', user: member });
	});

	it('clear() forgets the session in memory and in storage', () => {
		const store = new AuthStore(storage);
		store.setSession('tok', admin);
		store.clear();
		expect(store.token).toBeNull();
		expect(store.user).toBeNull();
		expect(store.isAuthenticated).toBe(false);
		expect(store.isAdmin).toBe(false);
		expect(storage.data.has(SESSION_KEY)).toBe(false);
		expect(new AuthStore(storage).isAuthenticated).toBe(false);
	});

	it('ignores corrupt or foreign data in storage', () => {
		for (const raw of ['not json', 'null', '42', '{"token":""}', '{"user":{}}']) {
			const store = new AuthStore(memoryStorage({ [SESSION_KEY]: raw }));
			expect(store.isAuthenticated).toBe(false);
		}
		const noUser = new AuthStore(memoryStorage({ [SESSION_KEY]: '{"token":"t","user":{"x":1}}' }));
		expect(noUser.token).toBe('t');
		expect(noUser.user).toBeNull();
	});

	it('works without storage (blocked localStorage)', () => {
		const throwing: SessionStorage = {
			getItem: () => {
				throw new Error('blocked');
			},
			setItem: () => {
				throw new Error('blocked');
			},
			removeItem: () => {
				throw new Error('blocked');
			}
		};
		const store = new AuthStore(throwing);
		store.setSession('tok', admin);
		expect(store.isAdmin).toBe(true);
		store.clear();
		expect(store.isAuthenticated).toBe(false);
	});

	it('uses window.localStorage by default', () => {
		localStorage.clear();
		const store = new AuthStore();
		store.setSession('tok', member);
		expect(localStorage.getItem(SESSION_KEY)).toContain('"tok"');
		expect(new AuthStore().user?.email).toBe('bob@example.com');
		store.clear();
		expect(localStorage.getItem(SESSION_KEY)).toBeNull();
	});
});
