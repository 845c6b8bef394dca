import type { UserPublic } from '$lib/api/types';

/** The localStorage key that holds the session (`{ token, user }` as JSON). */
export const SESSION_KEY = 'mlx-manager.session';

interface StoredSession {
	token: string;
	user: UserPublic | null;
}

/** The part of `Storage` the store uses, so tests can pass a stand-in. */
export type SessionStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

function defaultStorage(): SessionStorage | null {
	try {
		return typeof localStorage === 'undefined' ? null : localStorage;
	} catch {
		// Storage can be blocked (privacy settings, sandboxed frames).
		return null;
	}
}

function parse(raw: string | null): StoredSession | null {
	if (!raw) return null;
	try {
		const value: unknown = JSON.parse(raw);
		if (typeof value !== 'object' || value === null) return null;
		const { token, user } = value as Record<string, unknown>;
		if (typeof token !== 'string' || token === '') return null;
		const validUser =
			typeof user === 'object' &&
			user !== null &&
			typeof (user as UserPublic).email === 'string' &&
			typeof (user as UserPublic).id === 'number';
		return { token, user: validUser ? (user as UserPublic) : null };
	} catch {
		return null;
	}
}

/**
 * The signed-in session: the access token and the user it belongs to, kept in localStorage so
 * that a reload keeps the user signed in. The protected layout re-checks it with
 * `GET /api/auth/me` on every navigation.
 */
export class AuthStore {
	token = $state<string | null>(null);
	user = $state<UserPublic | null>(null);

	readonly isAuthenticated = $derived(this.token !== null);
	readonly isAdmin = $derived(
		this.token !== null && this.user?.is_admin === true && this.user.status === 'approved'
	);

	#storage: SessionStorage | null;

	constructor(storage: SessionStorage | null = defaultStorage()) {
		this.#storage = storage;
		this.restore();
	}

	/** Loads the session from storage (on start, or when another tab changed it). */
	restore(): void {
		const session = parse(this.#read());
		this.token = session?.token ?? null;
		this.user = session?.user ?? null;
	}

	/** Starts a session; the user is filled in by `setUser` once `/api/auth/me` answers. */
	setSession(token: string, user: UserPublic | null = null): void {
		this.token = token;
		this.user = user;
		this.#persist();
	}

	/** Replaces the token (after a password change the server issues a new one). */
	setToken(token: string): void {
		this.token = token;
		this.#persist();
	}

	setUser(user: UserPublic): void {
		this.user = user;
		this.#persist();
	}

	/** Forgets the session, here and in storage. */
	clear(): void {
		this.token = null;
		this.user = null;
		try {
			this.#storage?.removeItem(SESSION_KEY);
		} catch {
			// Nothing to do: the in-memory session is gone, which is what matters.
		}
	}

	#read(): string | null {
		try {
			return this.#storage?.getItem(SESSION_KEY) ?? null;
		} catch {
			return null;
		}
	}

	#persist(): void {
		if (this.token === null) return this.clear();
		const session: StoredSession = { token: this.token, user: this.user };
		try {
			this.#storage?.setItem(SESSION_KEY, JSON.stringify(session));
		} catch {
			// Quota or privacy mode: the session still works until the tab closes.
		}
	}
}

export const auth = new AuthStore();

// Keep tabs in step: signing out in one signs out the others at their next request.
if (typeof window !== 'undefined') {
	window.addEventListener('storage', (event) => {
		if (event.key === SESSION_KEY || event.key === null) auth.restore();
	});
}
