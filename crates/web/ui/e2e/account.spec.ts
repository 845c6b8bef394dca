import {
	NEW_PASSWORD,
	PASSWORD,
	curlWithKey,
	expect,
	seedUsers,
	shoot,
	signIn,
	test,
	userMenuButton
} from './fixtures';

test('changing the password, then signing in with the new one', async ({ page, request }) => {
	await seedUsers(request);
	await signIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/');
	await page.goto('/account');

	// A wrong current password is reported by that field.
	await page.getByLabel('Current password').fill('not my password');
	await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
	await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
	await page.getByRole('button', { name: 'Change password' }).click();
	await expect(page.getByText('Current password is incorrect')).toBeVisible();

	await page.getByLabel('Current password').fill(PASSWORD);
	await page.getByRole('button', { name: 'Change password' }).click();
	await expect(page.getByTestId('password-changed')).toContainText('Password changed');
	// This session goes on with the fresh token.
	await page.getByRole('link', { name: 'Home', exact: true }).click();
	await expect(page).toHaveURL('/');

	await userMenuButton(page).click();
	await page.getByRole('menuitem', { name: 'Sign out' }).click();
	await expect(page).toHaveURL('/login');

	await signIn(page, 'admin@example.com', PASSWORD);
	await expect(page.getByRole('alert')).toHaveText('Incorrect e-mail or password');
	await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
	await page.getByRole('button', { name: 'Sign in', exact: true }).click();
	await expect(page).toHaveURL('/');
});

test('an API key is shown once, works with curl, and stops working when revoked', async ({
	page,
	request,
	server
}) => {
	await seedUsers(request);
	await signIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/');
	await page.goto('/account');
	await expect(page.getByText('No API keys yet.')).toBeVisible();

	await page.getByLabel('Name').fill('laptop scripts');
	await page.getByLabel('Expires after (days)').fill('30');
	await page.getByRole('button', { name: 'Create key' }).click();

	const panel = page.getByTestId('new-key');
	await expect(panel).toContainText('shown only this once');
	const key = await panel.getByLabel('New API key').inputValue();
	expect(key).toMatch(/^mlxm_/);
	await panel.getByRole('button', { name: 'Copy' }).click();
	await expect(panel.getByRole('button', { name: 'Copied', exact: true })).toBeVisible();

	const row = page.getByTestId('api-key-row').filter({ hasText: 'laptop scripts' });
	await expect(row).toBeVisible();
	await expect(row).toContainText(key.slice(0, 8));
	await shoot(page, 'account');

	const me = await curlWithKey(`${server.url}/api/auth/me`, key);
	expect(me.status).toBe(200);
	expect(JSON.parse(me.body)).toMatchObject({ email: 'admin@example.com' });

	await page.getByRole('button', { name: 'I have copied it' }).click();
	await expect(panel).toBeHidden();

	// Revoke through the app's own dialog; Cancel first changes nothing.
	await row.getByRole('button', { name: 'Revoke key laptop scripts' }).click();
	const dialog = page.getByRole('dialog', { name: 'Revoke API key?' });
	await expect(dialog).toBeVisible();
	await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
	await shoot(page, 'dialog-revoke-key');
	await dialog.getByRole('button', { name: 'Cancel' }).click();
	await expect(dialog).toBeHidden();
	await expect(row).toBeVisible();

	await row.getByRole('button', { name: 'Revoke key laptop scripts' }).click();
	await dialog.getByRole('button', { name: 'Revoke key' }).click();
	await expect(dialog).toBeHidden();
	await expect(page.getByText('No API keys yet.')).toBeVisible();
	expect((await curlWithKey(`${server.url}/api/auth/me`, key)).status).toBe(401);
});
