import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

// `npm run dev` talks to a server started with `mlx-manager serve` on its default port.
const backend = process.env.MLX_MANAGER_URL ?? 'http://127.0.0.1:10242';

export default defineConfig({
	plugins: [sveltekit()],
	server: {
		proxy: {
			'/api': backend,
			'/health': backend
		}
	},
	test: {
		include: ['src/**/*.test.ts'],
		environment: 'happy-dom',
		restoreMocks: true
	},
	// Unit tests import `.svelte.ts` modules: resolve Svelte for the browser, not for SSR.
	resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined
});
