import createClient from 'openapi-fetch';
import { describe, expect, it, vi } from 'vitest';
import { createAuthMiddleware, type SessionLike } from './middleware';
import type { paths } from './schema';

function problem(status: number, detail: string): Response {
	return new Response(JSON.stringify({ type: 'about:blank', title: 'x', status, detail }), {
		status,
		headers: { 'Content-Type': 'application/problem+json' }
	});
}

function setup({ token = 'tok-123' as string | null, path = '/account?tab=keys' } = {}) {
	const session: SessionLike & { token: string | null } = {
		token,
		clear: vi.fn(() => {
			session.token = null;
		})
	};
	const navigate = vi.fn<(href: string) => void>();
	const requests: Request[] = [];
	let reply: () => Response = () => new Response('{}', { status: 200 });
	const client = createClient<paths>({
		baseUrl: 'http://127.0.0.1:10242',
		fetch: async (request: Request) => {
			requests.push(request);
			return reply();
		}
	});
	client.use(createAuthMiddleware({ session, navigate, currentPath: () => path }));
	return {
		client,
		session,
		navigate,
		requests,
		respond: (fn: () => Response) => {
			reply = fn;
		}
	};
}

describe('auth middleware', () => {
	it('adds the Bearer header when signed in', async () => {
		const { client, requests } = setup();
		await client.GET('/api/auth/me');
		expect(requests[0]!.headers.get('Authorization')).toBe('Bearer tok-123');
	});

	it('sends no Authorization header when signed out', async () => {
		const { client, requests } = setup({ token: null });
		await client.GET('/health');
		expect(requests[0]!.headers.has('Authorization')).toBe(false);
	});

	it('reads the token at request time (it changes after sign-in)', async () => {
		const { client, session, requests } = setup({ token: null });
		session.token = 'fresh';
		await client.GET('/api/auth/me');
		expect(requests[0]!.headers.get('Authorization')).toBe('Bearer fresh');
	});

	it('on a 401 clears the session and goes to /login?next=<path and query>', async () => {
		const { client, session, navigate, respond } = setup();
		respond(() => problem(401, 'the credentials are invalid or expired; sign in again'));
		const { error, response } = await client.GET('/api/auth/api-keys');
		expect(response.status).toBe(401);
		expect(error).toMatchObject({ detail: expect.stringContaining('invalid') });
		expect(session.clear).toHaveBeenCalledOnce();
		expect(session.token).toBeNull();
		expect(navigate).toHaveBeenCalledExactlyOnceWith('/login?next=%2Faccount%3Ftab%3Dkeys');
	});

	it('on a 401 from the home page goes to plain /login', async () => {
		const { client, navigate, respond } = setup({ path: '/' });
		respond(() => problem(401, 'expired'));
		await client.GET('/api/auth/me');
		expect(navigate).toHaveBeenCalledExactlyOnceWith('/login');
	});

	it('does not redirect or clear on a 401 from the login call (wrong password)', async () => {
		const { client, session, navigate, respond } = setup({ path: '/login' });
		respond(() => problem(401, 'incorrect e-mail or password'));
		const { error } = await client.POST('/api/auth/login', {
			body: { username: 'ada@example.com', password: 'nope' }
		});
		expect(error).toMatchObject({ status: 401, detail: 'incorrect e-mail or password' });
		expect(session.clear).not.toHaveBeenCalled();
		expect(navigate).not.toHaveBeenCalled();
	});

	it('does not redirect the login call even from another page', async () => {
		const { client, session, navigate, respond } = setup({ path: '/account' });
		respond(() => problem(401, 'incorrect e-mail or password'));
		await client.POST('/api/auth/login', { body: { username: 'a@b.c', password: 'x' } });
		expect(session.clear).not.toHaveBeenCalled();
		expect(navigate).not.toHaveBeenCalled();
	});

	it('clears but does not navigate when already on the login page', async () => {
		const { client, session, navigate, respond } = setup({ path: '/login?next=%2Fusers' });
		respond(() => problem(401, 'expired'));
		await client.GET('/api/auth/me');
		expect(session.clear).toHaveBeenCalledOnce();
		expect(navigate).not.toHaveBeenCalled();
	});

	it('leaves other errors alone (403, 409, 500)', async () => {
		const { client, session, navigate, respond } = setup();
		for (const status of [403, 409, 422, 500]) {
			respond(() => problem(status, 'no'));
			await client.GET('/api/auth/users');
		}
		expect(session.clear).not.toHaveBeenCalled();
		expect(navigate).not.toHaveBeenCalled();
	});
});
