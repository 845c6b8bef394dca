import { error, redirect } from '@sveltejs/kit';
import { api } from '$lib/api/client';
import { problemMessage } from '$lib/api/problem';
import { loginHref } from '$lib/navigation';
import { auth } from '$lib/stores/auth.svelte';
import type { LayoutLoad } from './$types';

/**
 * The guard of every page but /login. It runs on every navigation (it reads `url`), asking the
 * server who the token belongs to, so a disabled, deleted or signed-out user is sent to sign in
 * at their next click, and comes back to this page afterwards.
 */
export const load: LayoutLoad = async ({ url }) => {
	const here = url.pathname + url.search;
	if (!auth.token) redirect(307, loginHref(here));

	let result;
	try {
		result = await api.GET('/api/auth/me');
	} catch {
		error(503, 'The server cannot be reached. Check that mlx-manager is running, then reload.');
	}
	const { data, response } = result;
	if (data) {
		auth.setUser(data);
		return { user: data };
	}
	if (response.status === 401) {
		auth.clear();
		redirect(307, loginHref(here));
	}
	error(response.status, problemMessage(result.error));
};
