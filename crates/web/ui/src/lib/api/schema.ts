// The API's types are generated once, from the committed openapi.json into the TypeScript SDK
// (`sdk/src/schema.ts`, by `cargo xtask openapi`); the UI uses exactly the same ones, through the
// `$sdk` alias (svelte.config.js).
export type { components, operations, paths } from '$sdk/schema';
