import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	compilerOptions: {
		runes: true
	},
	kit: {
		// The TypeScript SDK's sources (`$sdk/schema`: the API types generated from openapi.json).
		// SvelteKit passes aliases on to Vite (build, dev, vitest) and to TypeScript.
		alias: {
			$sdk: '../../../sdk/src'
		},
		// A single-page app: the Rust server serves `build/` at `/` and answers every other
		// non-API path with `index.html`, so deep links work.
		adapter: adapter({
			pages: 'build',
			assets: 'build',
			fallback: 'index.html',
			precompress: false,
			strict: true
		})
	}
};

export default config;
