import createClient from 'openapi-fetch';
import { goto } from '$app/navigation';
import { navigating } from '$app/state';
import { auth } from '$lib/stores/auth.svelte';
import { createAuthMiddleware } from './middleware';
import type { paths } from './schema';

/** Set once the app has mounted; before that, load functions handle their own redirects. */
export const router = { ready: false };

/** The typed API client: every path, body and response comes from `openapi.json`. */
export const api = createClient<paths>({ baseUrl: '' });

api.use(
	createAuthMiddleware({
		session: auth,
		currentPath: () => window.location.pathname + window.location.search,
		navigate: (href) => {
			// While a navigation is loading, the protected layout's guard sees the same 401 and
			// redirects with the destination as `next`; navigating here too would race it.
			if (!router.ready || navigating.to) return;
			// `href` comes from loginHref(): always a same-origin /login path.
			// eslint-disable-next-line svelte/no-navigation-without-resolve
			void goto(href);
		}
	})
);
