/** Where the sign-in page lives. */
export const LOGIN_PATH = '/login';

/**
 * The path to return to after signing in, from an untrusted `next` query value. Only a path on
 * this origin is accepted (it starts with one `/`, has no scheme, host or backslash tricks);
 * anything else gives `/`, so `next` can never send the user to another site.
 */
export function safeNext(next: string | null | undefined): string {
	if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return '/';
	// Control characters (tabs, newlines) are stripped by URL parsers and could hide `//`.
	// eslint-disable-next-line no-control-regex
	if (/[\u0000-\u001f\u007f]/.test(next)) return '/';
	try {
		const base = 'http://localhost';
		const url = new URL(next, base);
		if (url.origin !== base) return '/';
		const path = url.pathname + url.search + url.hash;
		// Returning to the sign-in page itself would only show the form again.
		if (url.pathname === LOGIN_PATH || url.pathname.startsWith(`${LOGIN_PATH}/`)) return '/';
		return path;
	} catch {
		return '/';
	}
}

/** `/login?next=<path>` for the page the user was on (`/` and `/login` give plain `/login`). */
export function loginHref(path: string): string {
	const next = safeNext(path);
	return next === '/' ? LOGIN_PATH : `${LOGIN_PATH}?next=${encodeURIComponent(next)}`;
}
