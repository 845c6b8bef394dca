import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test as base, expect } from '@playwright/test';
import { PASSWORD, startServer } from './fixtures';

base(
	'a fresh install reached over the network asks for the setup token before creating its admin',
	async ({ browser }) => {
		const dir = await mkdtemp(path.join(tmpdir(), 'mlx-manager-e2e-setup-'));
		// Listening beyond loopback: claiming the first account needs the token.
		const { server, stop } = await startServer(dir, ['--host', '0.0.0.0']);
		try {
			const context = await browser.newContext({ baseURL: server.url });
			const page = await context.newPage();
			await page.goto('/login');
			await page.getByRole('tab', { name: 'Create account' }).click();
			const tokenField = page.getByLabel('Setup token');
			await expect(tokenField).toBeVisible();
			await page.getByLabel('E-mail').fill('owner@example.com');
			await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
			await page.getByLabel('Confirm password').fill(PASSWORD);
			await tokenField.fill('not-the-token');
			await page.getByRole('button', { name: 'Create account', exact: true }).click();
			await expect(page.getByText(/setup token/).first()).toBeVisible();
			await expect(tokenField).toHaveAttribute('aria-invalid', 'true');
			await expect(page).toHaveURL('/login');

			const token = (await readFile(path.join(server.dataDir, 'setup-token'), 'utf8')).trim();
			await tokenField.fill(token);
			await page.getByRole('button', { name: 'Create account', exact: true }).click();
			await expect(page).toHaveURL('/');
			await expect(page.getByRole('heading', { name: 'Welcome, owner@example.com' })).toBeVisible();
			await context.close();
		} finally {
			await stop();
			await rm(dir, { recursive: true, force: true });
		}
	}
);

base('on loopback the sign-up page asks for no setup token', async ({ browser }) => {
	const dir = await mkdtemp(path.join(tmpdir(), 'mlx-manager-e2e-setup-'));
	const { server, stop } = await startServer(dir);
	try {
		const page = await browser.newPage({ baseURL: server.url });
		await page.goto('/login');
		const asked = page.waitForResponse((r) => r.url().endsWith('/api/auth/setup'));
		await page.getByRole('tab', { name: 'Create account' }).click();
		expect((await (await asked).json()).setup_token_required).toBe(false);
		await expect(page.getByLabel('E-mail')).toBeVisible();
		await expect(page.getByLabel('Setup token')).toHaveCount(0);
		await page.close();
	} finally {
		await stop();
		await rm(dir, { recursive: true, force: true });
	}
});
