// The API's types are generated once, from the committed openapi.json into the TypeScript SDK
// (`sdk/src/schema.ts`, by `cargo xtask openapi`); the UI uses exactly the same ones.
export type { components, operations, paths } from '../../../../../../sdk/src/schema';
