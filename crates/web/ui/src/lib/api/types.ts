// Names for the generated OpenAPI schema types. Never write request or response shapes by hand:
// regenerate `schema.d.ts` with `npm run gen:api` after the API changes.
import type { components } from './schema';

type Schemas = components['schemas'];

export type UserPublic = Schemas['UserPublic'];
export type UserStatus = Schemas['Status'];
export type Problem = Schemas['Problem'];
export type FieldError = Schemas['FieldError'];
export type TokenResponse = Schemas['TokenResponse'];
export type ApiKey = Schemas['ApiKeyResponse'];
export type CreatedApiKey = Schemas['CreatedApiKeyResponse'];
export type Health = Schemas['Health'];
