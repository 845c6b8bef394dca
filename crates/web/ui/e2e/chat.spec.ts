import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, loginApi, newSession, seedUsers, shoot, signIn, test as base } from './fixtures';
import { installModel } from './hub';
import { callApi, listServers } from './serving';

const MODEL = 'HuggingFaceTB/SmolLM2-135M-Instruct';

/** A server with SmolLM2-135M (float32, from the project's fixtures) in its cache, offline. */
const test = base.extend<{ hfHome: string }>({
	// eslint-disable-next-line no-empty-pattern
	hfHome: async ({}, use) => {
		const dir = await mkdtemp(path.join(tmpdir(), 'mlx-manager-e2e-hf-'));
		await installModel(dir, MODEL, 'smollm2-135m-f32');
		await use(dir);
		await rm(dir, { recursive: true, force: true });
	},
	serverEnv: async ({ hfHome }, use) => {
		await use({ HF_HOME: hfHome, HF_HUB_OFFLINE: '1' });
	}
});

/**
 * Records every distinct text of the elements matching `selector` (the last one) as the DOM
 * changes, into `window.__seen[key]`: what a person watching the page would have seen.
 */
async function recordTexts(page: Page, key: string, selector: string) {
	await page.evaluate(
		({ key, selector }) => {
			const w = window as unknown as { __seen?: Record<string, string[]> };
			w.__seen ??= {};
			const seen: string[] = (w.__seen[key] = []);
			const record = () => {
				const all = document.querySelectorAll(selector);
				const text = all[all.length - 1]?.textContent?.trim() ?? '';
				if (seen.at(-1) !== text) seen.push(text);
			};
			record();
			new MutationObserver(record).observe(document.body, {
				subtree: true,
				childList: true,
				characterData: true
			});
		},
		{ key, selector }
	);
}

async function recorded(page: Page, key: string): Promise<string[]> {
	return page.evaluate(
		(key) => (window as unknown as { __seen: Record<string, string[]> }).__seen[key] ?? [],
		key
	);
}

test('profile → start → a streamed chat that can be stopped, kept after a reload, private to its owner', async ({
	page,
	request,
	browser,
	server
}) => {
	test.setTimeout(180_000);
	const { adminToken } = await seedUsers(request, { member: true });
	await signIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/');

	// "Use" on My models opens a new profile for that model.
	await page.goto('/models');
	await page.getByRole('article', { name: MODEL }).getByRole('link', { name: 'Use' }).click();
	await expect(page).toHaveURL(/\/profiles\?new=/);
	await expect(page.getByLabel('Model', { exact: true })).toHaveValue(MODEL);
	await page.getByLabel('Name', { exact: true }).fill('smol');
	await page.getByLabel('Temperature').fill('0');
	// Checked in the browser: a whole number is wanted; nothing reaches the server.
	await page.getByLabel('Max tokens').fill('1.5');
	await page.getByRole('button', { name: 'Save' }).click();
	await expect(page.getByText('Max tokens must be a whole number')).toBeVisible();
	await expect(page.getByLabel('Max tokens')).toHaveAttribute('aria-invalid', 'true');
	// Checked by the server: its field error lands on the field.
	await page.getByLabel('Max tokens').fill('600');
	await page.getByLabel('Temperature').fill('5');
	await page.getByRole('button', { name: 'Save' }).click();
	await expect(page.getByLabel('Temperature')).toHaveAttribute('aria-invalid', 'true');
	await expect(page.locator('#profile-temperature-error')).toHaveText('5 is not between 0 and 2');
	await shoot(page, 'profiles-form-errors');
	await page.getByLabel('Temperature').fill('0');
	await page.getByRole('button', { name: 'Save' }).click();
	const row = page.getByRole('article', { name: 'Profile smol' });
	await expect(row).toBeVisible();
	await shoot(page, 'profiles');

	// Start it: the tile goes loading, then ready.
	await page
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Servers' })
		.click();
	await expect(page).toHaveURL('/servers');
	await recordTexts(page, 'state', '[data-testid="server-state"]');
	await page.getByLabel('Profile', { exact: true }).fill('smol');
	await page.getByRole('button', { name: 'Start' }).click();
	const tile = page.getByRole('article', { name: /Server smol/ });
	await expect(tile.getByTestId('server-state')).toHaveText('ready', { timeout: 60_000 });
	const states = await recorded(page, 'state');
	expect(states).toContain('loading');
	expect(states.indexOf('loading')).toBeLessThan(states.lastIndexOf('ready'));
	await shoot(page, 'servers');

	// A question: the answer streams in, piece by piece.
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chat' }).click();
	await expect(page).toHaveURL('/chat');
	await page.getByLabel('Model', { exact: true }).selectOption('smol');
	const answers = '[data-role="assistant"] [data-testid="answer-text"]';
	await recordTexts(page, 'answer', answers);
	await page.getByLabel('Message').fill('What is the capital of France? Answer in two sentences.');
	await page.getByRole('button', { name: 'Send' }).click();
	const first = page.getByTestId('chat-message').filter({ has: page.getByTestId('answer-stats') });
	await expect(first).toHaveCount(1, { timeout: 60_000 });
	await expect(first.getByTestId('answer-stats')).toContainText('prompt tokens');
	await expect(first.getByTestId('answer-stats')).toContainText('tok/s');
	const seen = (await recorded(page, 'answer')).filter(Boolean);
	const final = seen.at(-1)!;
	expect(final.length).toBeGreaterThan(0);
	const partial = seen.slice(0, -1);
	expect(partial.length, `streamed states: ${JSON.stringify(seen)}`).toBeGreaterThanOrEqual(2);
	expect(partial.every((text) => text.length < final.length)).toBe(true);
	await expect(page).toHaveURL(/\/chat\?id=\d+/);
	const chatId = Number(new URL(page.url()).searchParams.get('id'));
	await shoot(page, 'chat');

	// A long answer, stopped: the server stops generating.
	await page
		.getByLabel('Message')
		.fill('Write a very long story about a dragon who learns to bake bread.');
	await page.getByRole('button', { name: 'Send' }).click();
	await expect(page.getByTestId('chat-message').last().getByTestId('answer-text')).not.toBeEmpty({
		timeout: 60_000
	});
	await expect.poll(async () => (await listServers(request, adminToken))[0]?.running).toBe(1);
	await page.getByRole('button', { name: 'Stop' }).click();
	await expect(page.getByRole('button', { name: 'Send' })).toBeVisible();
	await expect(page.getByTestId('chat-message').last().getByTestId('answer-stats')).toContainText(
		'stopped'
	);
	await expect
		.poll(async () => (await listServers(request, adminToken))[0]?.running, { timeout: 10_000 })
		.toBe(0);

	// The conversation is stored: a reload shows it again.
	await page.reload();
	await expect(page.getByTestId('chat-message')).toHaveCount(4);
	await expect(page.getByTestId('chat-message').nth(0)).toContainText('capital of France');
	await expect(page.getByTestId('chat-message').nth(1)).toContainText(final.slice(0, 20));
	await expect(page.getByRole('complementary', { name: 'Conversations' })).toContainText(
		'capital of France'
	);

	// Another user cannot open it, in the page or through the API.
	const member = await newSession(browser, server.url);
	await signIn(member.page, 'member@example.com');
	await expect(member.page).toHaveURL('/');
	await member.page.goto(`/chat?id=${chatId}`);
	await expect(member.page.getByRole('alert')).toBeVisible();
	await expect(member.page.getByTestId('chat-message')).toHaveCount(0);
	const memberToken = await loginApi(request, 'member@example.com');
	expect((await callApi(request, memberToken, 'GET', `/api/chats/${chatId}`)).status).toBe(404);
	await member.context.close();

	// The admin's System page: memory with the model loaded, pool settings, permissions.
	await page.goto('/system');
	await expect(page.getByRole('button', { name: 'Save' }).first()).toBeVisible();
	await shoot(page, 'system');
	const batch = page.getByLabel('Requests decoded together per model');
	await expect(batch).toHaveValue('8');
	await batch.fill('2');
	await page.locator('form', { has: batch }).getByRole('button', { name: 'Save' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
	const pool = await callApi(request, adminToken, 'GET', '/api/settings/pool');
	expect(pool.status).toBe(200);
	expect((pool.body as { max_batch_size: number }).max_batch_size).toBe(2);
});
