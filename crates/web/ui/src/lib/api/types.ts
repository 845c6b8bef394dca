// Names for the generated OpenAPI schema types. Never write request or response shapes by hand:
// after the API changes, `cargo xtask openapi` regenerates `openapi.json` and the SDK's
// `sdk/src/schema.ts`, which `./schema` re-exports.
import type { components } from './schema';

type Schemas = components['schemas'];

export type UserPublic = Schemas['UserPublic'];
export type UserStatus = Schemas['Status'];
export type Problem = Schemas['Problem'];
export type FieldError = Schemas['FieldError'];
export type TokenResponse = Schemas['TokenResponse'];
export type ApiKey = Schemas['ApiKeyResponse'];
export type PendingCount = Schemas['PendingCountResponse'];
export type CreatedApiKey = Schemas['CreatedApiKeyResponse'];
export type Health = Schemas['Health'];
