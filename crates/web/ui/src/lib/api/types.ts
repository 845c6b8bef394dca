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
export type LocalModel = Schemas['LocalModelResponse'];
export type ModelCharacteristics = Schemas['ModelCharacteristicsResponse'];
export type SearchResult = Schemas['SearchResultResponse'];
export type SearchSort = NonNullable<
	NonNullable<import('./schema').paths['/api/models/search']['get']['parameters']['query']>['sort']
>;
export type Download = Schemas['DownloadResponse'];
export type DownloadState = Schemas['DownloadState'];
export type Profile = Schemas['ProfileResponse'];
export type ProfileRequest = Schemas['ProfileRequest'];
export type Server = Schemas['ServerResponse'];
export type ServerState = Schemas['ServerState'];
export type ServerEvent = Schemas['ServerEvent'];
export type PoolMemory = Schemas['MemoryResponse'];
export type SystemInfo = Schemas['SystemInfoResponse'];
export type SystemMemory = Schemas['SystemMemoryResponse'];
export type PoolSettings = Schemas['PoolSettingsResponse'];
export type Permissions = Schemas['PermissionsResponse'];
export type ChatSummary = Schemas['ChatSummary'];
export type ChatDetail = Schemas['ChatDetail'];
export type ChatMessage = Schemas['ChatMessageOut'];
export type ChatMessageIn = Schemas['ChatMessageIn'];
