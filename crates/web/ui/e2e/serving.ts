import { expect, type APIRequestContext } from '@playwright/test';

/** One API call with a bearer token: the status and the parsed body (null when empty). */
export async function callApi(
	request: APIRequestContext,
	token: string,
	method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
	url: string,
	data?: unknown
): Promise<{ status: number; body: unknown }> {
	const response = await request.fetch(url, {
		method,
		data,
		headers: { Authorization: `Bearer ${token}` }
	});
	const text = await response.text();
	return { status: response.status(), body: text ? (JSON.parse(text) as unknown) : null };
}

export interface ServerEntry {
	profile_id: number | null;
	profile_name: string | null;
	model: string;
	state: string;
	running: number;
	queued: number;
}

export async function listServers(request: APIRequestContext, token: string) {
	const { status, body } = await callApi(request, token, 'GET', '/api/servers');
	expect(status).toBe(200);
	return body as ServerEntry[];
}

/** Creates a profile through the API and returns its id. */
export async function createProfile(
	request: APIRequestContext,
	token: string,
	profile: Record<string, unknown>
): Promise<number> {
	const { status, body } = await callApi(request, token, 'POST', '/api/profiles', profile);
	expect(status, JSON.stringify(body)).toBe(201);
	return (body as { id: number }).id;
}

/** Starts a profile's model and waits until it is ready. */
export async function startProfile(request: APIRequestContext, token: string, id: number) {
	const started = await callApi(request, token, 'POST', `/api/servers/${id}/start`);
	expect([200, 202], JSON.stringify(started.body)).toContain(started.status);
	await expect
		.poll(
			async () =>
				(
					(await callApi(request, token, 'GET', `/api/servers/${id}/status`)).body as {
						state: string;
					}
				).state,
			{ timeout: 60_000 }
		)
		.toBe('ready');
}

/** Turns the members' permissions on or off (as the admin). */
export async function setPermissions(
	request: APIRequestContext,
	token: string,
	permissions: { members_manage_models?: boolean; members_load_models?: boolean }
) {
	const { status, body } = await callApi(
		request,
		token,
		'PUT',
		'/api/settings/permissions',
		permissions
	);
	expect(status, JSON.stringify(body)).toBe(200);
}
