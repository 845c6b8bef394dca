// Who am I, and which models are on the server? Run with:
//   MLX_MANAGER_URL=http://127.0.0.1:10242 MLX_MANAGER_API_KEY=mlxm_... node examples/whoami.mjs
import { createMlxManagerClient, unwrap } from '@mlx-manager/sdk';

const api = createMlxManagerClient({
  baseUrl: process.env.MLX_MANAGER_URL ?? 'http://127.0.0.1:10242',
  apiKey: process.env.MLX_MANAGER_API_KEY,
});

const me = await unwrap(api.GET('/api/auth/me'));
console.log(`signed in as ${me.email}${me.is_admin ? ' (admin)' : ''}`);

const models = await unwrap(api.GET('/api/models/local'));
for (const model of models) {
  console.log(`${model.model_id}\t${model.size_gb} GB`);
}
