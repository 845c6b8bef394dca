import { isRedirect, redirect } from '@sveltejs/kit';
import { api } from '$lib/api/client';
import { safeNext } from '$lib/navigation';
import { auth } from '$lib/stores/auth.svelte';
import type { PageLoad } from './$types';

// Someone already signed in goes straight on; a stale session is cleared by the 401 handler.
export const load: PageLoad = async ({ url }) => {
	const next = safeNext(url.searchParams.get('next'));
	if (auth.token) {
		try {
			const { data } = await api.GET('/api/auth/me');
			if (data) {
				auth.setUser(data);
				redirect(307, next);
			}
		} catch (e) {
			// Re-throw SvelteKit's redirect; a network error just shows the form.
			if (isRedirect(e)) throw e;
		}
	}
	return { next };
};
