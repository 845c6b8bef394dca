import type { Middleware } from 'openapi-fetch';
import { loginHref, LOGIN_PATH } from '$lib/navigation';

/** The part of the auth store the middleware needs. */
export interface SessionLike {
	readonly token: string | null;
	clear(): void;
}

export interface AuthMiddlewareOptions {
	session: SessionLike;
	/** Goes to a page of the app (in the app: SvelteKit's `goto`). */
	navigate: (href: string) => void;
	/** The path and query of the page the user is on, to come back to after signing in. */
	currentPath: () => string;
}

/**
 * Calls whose 401 means "wrong credentials", not "your session ended": the sign-in page shows
 * the server's message in place instead of being sent back to itself.
 */
const NO_SESSION_REDIRECT = new Set<string>(['/api/auth/login', '/api/auth/register']);

/**
 * Adds `Authorization: Bearer <token>` to every call, and on a 401 from any call but login
 * clears the session and sends the user to `/login?next=<where they were>`.
 */
export function createAuthMiddleware({
	session,
	navigate,
	currentPath
}: AuthMiddlewareOptions): Middleware {
	return {
		onRequest({ request }) {
			const token = session.token;
			if (token && !request.headers.has('Authorization')) {
				request.headers.set('Authorization', `Bearer ${token}`);
			}
			return request;
		},
		onResponse({ response, schemaPath }) {
			if (response.status !== 401 || NO_SESSION_REDIRECT.has(schemaPath)) return undefined;
			session.clear();
			const here = currentPath();
			const onLoginPage = here === LOGIN_PATH || here.startsWith(`${LOGIN_PATH}?`);
			if (!onLoginPage) navigate(loginHref(here));
			return undefined;
		}
	};
}
