import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, seedUsers, shoot, signIn, test as base } from './fixtures';
import { installModel, startHub, type FakeHub } from './hub';
import { callApi, createProfile, setPermissions, startProfile } from './serving';

const MODEL = 'mlx-community/tiny-qwen3';
const ADMIN_ONLY = 'Only an admin can do this here (the admin can allow members on System).';

/** A server whose Hugging Face cache is the test's own, fed by a fake hub. */
const test = base.extend<{ hfHome: string; hub: FakeHub; hubRate: number }>({
	hubRate: [0, { option: true }],
	// eslint-disable-next-line no-empty-pattern
	hfHome: async ({}, use) => {
		const dir = await mkdtemp(path.join(tmpdir(), 'mlx-manager-e2e-hf-'));
		await use(dir);
		await rm(dir, { recursive: true, force: true });
	},
	hub: async ({ hubRate }, use) => {
		const hub = await startHub({ [MODEL]: 'tiny-qwen3' }, hubRate || undefined);
		await use(hub);
		await hub.stop();
	},
	serverEnv: async ({ hfHome, hub }, use) => {
		await use({ HF_HOME: hfHome, HF_ENDPOINT: hub.url, HF_HUB_OFFLINE: '0' });
	}
});

test.describe('a slow download', () => {
	// 1.7 MB at 150 kB/s: about ten seconds, long enough to pause, reload and resume.
	test.use({ hubRate: 150_000 });

	test('search, download with live progress, pause, reload, resume, and it appears in My models', async ({
		page,
		request
	}) => {
		await seedUsers(request);
		await signIn(page, 'admin@example.com');
		await expect(page).toHaveURL('/');
		// A fresh install says where to start.
		await expect(page.getByRole('link', { name: /search a model/i })).toBeVisible();
		await shoot(page, 'home-fresh');

		await page
			.getByRole('navigation', { name: 'Main' })
			.getByRole('link', { name: 'Models' })
			.click();
		await expect(page.getByRole('link', { name: 'My models (0)' })).toBeVisible();
		await page.getByRole('link', { name: 'Hugging Face' }).click();
		await page.getByLabel('Search models').fill('tiny');
		const result = page.getByTestId('search-result').filter({ hasText: MODEL });
		await expect(result).toBeVisible();
		await shoot(page, 'models-search');

		await result.getByRole('button', { name: `Download ${MODEL}` }).click();
		const tile = page.getByRole('article', { name: `Download of ${MODEL}` });
		await expect(tile).toBeVisible();
		const bar = tile.getByRole('progressbar');
		await expect
			.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 15_000 })
			.toBeGreaterThan(0);
		await expect(tile.getByText('Downloading')).toBeVisible();
		await shoot(page, 'models-downloading');

		await tile.getByRole('button', { name: 'Pause' }).click();
		await expect(tile.getByText('Paused', { exact: true })).toBeVisible();
		const pausedAt = await tile.getByTestId('download-bytes').textContent();
		// Paused means no more bytes arrive.
		await page.waitForTimeout(1_500);
		await expect(tile.getByTestId('download-bytes')).toHaveText(pausedAt!);
		expect(Number(await bar.getAttribute('aria-valuenow'))).toBeLessThan(100);

		// The tile survives a reload, still paused.
		await page.reload();
		await expect(tile.getByText('Paused', { exact: true })).toBeVisible();
		await expect(tile.getByTestId('download-bytes')).toHaveText(pausedAt!);
		await expect(result.getByText('Paused')).toBeVisible();

		// Resume on My models: the finished model shows up there without a reload.
		await tile.getByRole('button', { name: 'Resume' }).click();
		await expect(tile.getByText('Downloading')).toBeVisible();
		await page.getByRole('link', { name: /^My models/ }).click();
		const local = page.getByRole('article', { name: MODEL });
		await expect(local).toBeVisible({ timeout: 30_000 });
		await expect(tile).toBeHidden();
		await expect(page.getByRole('link', { name: 'My models (1)' })).toBeVisible();
		await expect(local).toContainText('qwen3');
		await expect(local).toContainText('No profile uses it yet.');
		await shoot(page, 'models-local');

		// And the search marks it as downloaded.
		await page.getByRole('link', { name: 'Hugging Face' }).click();
		await expect(result.getByTestId('downloaded-mark')).toBeVisible();
	});
});

test('a member sees the admin-only actions disabled, with the reason, until allowed', async ({
	page,
	request
}) => {
	const { adminToken } = await seedUsers(request, { member: true });
	await signIn(page, 'member@example.com');
	await expect(page).toHaveURL('/');
	const nav = page.getByRole('navigation', { name: 'Main' });
	await expect(nav.getByRole('link', { name: 'Users' })).toHaveCount(0);

	await page.goto('/models?tab=hub');
	await page.getByLabel('Search models').fill('tiny');
	const download = page.getByRole('button', { name: `Download ${MODEL}` });
	await expect(download).toBeDisabled();
	await expect(page.locator(`span[title="${ADMIN_ONLY}"]`).filter({ has: download })).toHaveCount(
		1
	);
	await shoot(page, 'models-member');

	await nav.getByRole('link', { name: 'Profiles' }).click();
	await expect(page.getByRole('button', { name: 'New profile' })).toBeDisabled();
	await nav.getByRole('link', { name: 'Servers' }).click();
	await expect(page.getByRole('button', { name: 'Start' })).toBeDisabled();
	await nav.getByRole('link', { name: 'System' }).click();
	await expect(page.getByRole('heading', { name: 'System' })).toBeVisible();
	await expect(page.getByRole('button', { name: /save/i })).toHaveCount(0);
	await shoot(page, 'system-member');

	// Once the admin allows members to manage models, the same controls work for them.
	await setPermissions(request, adminToken, { members_manage_models: true });
	await page.goto('/models?tab=hub');
	await page.getByLabel('Search models').fill('tiny');
	await expect(download).toBeEnabled();
	await download.click();
	await page.getByRole('link', { name: /^My models/ }).click();
	await expect(page.getByRole('article', { name: MODEL })).toBeVisible({ timeout: 30_000 });
});

test('deleting a loaded model is refused with the reason; once stopped it is deleted', async ({
	page,
	request,
	hfHome
}) => {
	const { adminToken } = await seedUsers(request);
	await installModel(hfHome, 'test-org/tiny-llama', 'tiny-llama');
	const id = await createProfile(request, adminToken, {
		name: 'tiny',
		model: 'test-org/tiny-llama'
	});
	await startProfile(request, adminToken, id);

	await signIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/');
	await page.goto('/models');
	const local = page.getByRole('article', { name: 'test-org/tiny-llama' });
	await expect(local).toContainText('Used by tiny');
	await expect(local.getByRole('button', { name: 'Delete' })).toBeDisabled();
	await expect(local).toContainText('It is loaded: stop its server first.');
	// The server refuses it too, whatever the page shows.
	const refused = await callApi(request, adminToken, 'DELETE', '/api/models/test-org/tiny-llama');
	expect(refused.status).toBe(409);

	await page.goto('/servers');
	const server = page.getByRole('article', { name: /Server tiny/ });
	await expect(server.getByTestId('server-state')).toHaveText('ready');
	await server.getByRole('button', { name: 'Stop' }).click();
	await expect(server).toBeHidden();

	await page.goto('/models');
	await local.getByRole('button', { name: 'Delete' }).click();
	const dialog = page.getByRole('dialog', { name: 'Delete model?' });
	await dialog.getByRole('button', { name: 'Delete model' }).click();
	await expect(local).toBeHidden();
	await expect(page.getByRole('link', { name: 'My models (0)' })).toBeVisible();
});
