import {
	NEW_PASSWORD,
	PASSWORD,
	expect,
	loginApi,
	patchUserApi,
	registerApi,
	seedUsers,
	shoot,
	signIn,
	test
} from './fixtures';

test('last-admin actions are disabled with the reason', async ({ page, request }) => {
	const { adminToken } = await seedUsers(request, { member: true });
	await signIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/');
	await page.goto('/users');

	const me = page.getByTestId('user-row').filter({ hasText: 'admin@example.com' });
	const reason = /only approved admin/;
	for (const name of [
		'Disable admin@example.com',
		'Remove admin rights of admin@example.com',
		'Delete admin@example.com'
	]) {
		const button = me.getByRole('button', { name });
		await expect(button).toBeDisabled();
		await expect(button).toHaveAttribute('title', reason);
		await expect(button).toHaveAccessibleDescription(reason);
	}
	// The explanation is on the page, not only in a tooltip.
	await expect(me.getByText(reason)).toBeVisible();
	await me.getByRole('button', { name: 'Delete admin@example.com' }).hover({ force: true });
	await shoot(page, 'users-last-admin');

	// Once another approved admin exists, the same actions are allowed.
	const other = await registerApi(request, 'second-admin@example.com');
	await patchUserApi(request, adminToken, other.id, { status: 'approved', is_admin: true });
	await page.reload();
	await expect(me.getByRole('button', { name: 'Delete admin@example.com' })).toBeEnabled();
	await expect(me.getByRole('button', { name: 'Disable admin@example.com' })).toBeEnabled();
	await expect(me.getByText(reason)).toHaveCount(0);
});

test('admins create, promote, reset and delete users in the app', async ({ page, request }) => {
	await seedUsers(request);
	await signIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/');
	await page.goto('/users');

	// Create: the dialog checks the confirmation before sending.
	await page.getByRole('button', { name: 'Create user' }).click();
	const create = page.getByRole('dialog', { name: 'Create user' });
	await expect(create.getByLabel('E-mail')).toBeFocused();
	await create.getByLabel('E-mail').fill('carol@example.com');
	await create.getByLabel('Password', { exact: true }).fill(PASSWORD);
	await create.getByLabel('Confirm password').fill(PASSWORD + '!');
	await expect(create.getByText('The passwords do not match.')).toBeVisible();
	await expect(create.getByRole('button', { name: 'Create user' })).toBeDisabled();
	await create.getByLabel('Confirm password').fill(PASSWORD);
	await shoot(page, 'dialog-create-user');
	await create.getByRole('button', { name: 'Create user' }).click();
	await expect(create).toBeHidden();

	const carol = page.getByTestId('user-row').filter({ hasText: 'carol@example.com' });
	await expect(carol.getByTestId('status')).toHaveText('approved');

	// Promote, then demote.
	await carol.getByRole('button', { name: 'Make carol@example.com an admin' }).click();
	await expect(carol.getByText('admin', { exact: true })).toBeVisible();
	await carol.getByRole('button', { name: 'Remove admin rights of carol@example.com' }).click();
	await expect(carol.getByText('admin', { exact: true })).toHaveCount(0);

	// Disable and enable.
	await carol.getByRole('button', { name: 'Disable carol@example.com' }).click();
	await expect(carol.getByTestId('status')).toHaveText('disabled');
	await carol.getByRole('button', { name: 'Enable carol@example.com' }).click();
	await expect(carol.getByTestId('status')).toHaveText('approved');

	// Reset the password in a dialog; the new one works.
	await carol.getByRole('button', { name: 'Reset the password of carol@example.com' }).click();
	const reset = page.getByRole('dialog', { name: 'Reset password' });
	await reset.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
	await reset.getByLabel('Confirm new password').fill(NEW_PASSWORD);
	await shoot(page, 'dialog-reset-password');
	await reset.getByRole('button', { name: 'Set password' }).click();
	await expect(reset).toBeHidden();
	expect(await loginApi(request, 'carol@example.com', NEW_PASSWORD)).toBeTruthy();

	// Escape closes a dialog without doing anything.
	await carol.getByRole('button', { name: 'Delete carol@example.com' }).click();
	const confirm = page.getByRole('dialog', { name: 'Delete user?' });
	await expect(confirm).toBeVisible();
	await shoot(page, 'dialog-delete-user');
	await page.keyboard.press('Escape');
	await expect(confirm).toBeHidden();
	await expect(carol).toBeVisible();

	await carol.getByRole('button', { name: 'Delete carol@example.com' }).click();
	await confirm.getByRole('button', { name: 'Delete user' }).click();
	await expect(confirm).toBeHidden();
	await expect(carol).toHaveCount(0);
	await expect(page.getByRole('status')).toContainText('carol@example.com was deleted');
});

test('the server refusal is shown inline when the page was out of date', async ({
	page,
	request
}) => {
	const { adminToken, user } = await seedUsers(request, { member: true });
	await patchUserApi(request, adminToken, user!.id, { is_admin: true });
	await signIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/');
	await page.goto('/users');
	const member = page.getByTestId('user-row').filter({ hasText: 'member@example.com' });
	await expect(member.getByText('admin', { exact: true })).toBeVisible();
	// Behind the page's back, the other admin loses the role: this page still thinks there are two.
	await patchUserApi(request, adminToken, user!.id, { is_admin: false });
	await page
		.getByTestId('user-row')
		.filter({ hasText: 'admin@example.com' })
		.getByRole('button', { name: 'Remove admin rights of admin@example.com' })
		.click();
	const dialog = page.getByRole('dialog', { name: 'Remove your admin rights?' });
	await dialog.getByRole('button', { name: 'Remove my admin rights' }).click();
	await expect(dialog.getByRole('alert')).toContainText(/admin/i);
	await dialog.getByRole('button', { name: 'Cancel' }).click();
	await expect(page.getByTestId('action-error')).toContainText('admin@example.com');
});

test('an admin may delete their own account when another admin remains', async ({
	page,
	request
}) => {
	const { adminToken, user } = await seedUsers(request, { member: true });
	await patchUserApi(request, adminToken, user!.id, { is_admin: true });
	await signIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/');
	await page.goto('/users');
	const me = page.getByTestId('user-row').filter({ hasText: 'admin@example.com' });
	await me.getByRole('button', { name: 'Delete admin@example.com' }).click();
	const dialog = page.getByRole('dialog', { name: 'Delete user?' });
	await expect(dialog).toContainText('your own account');
	await dialog.getByRole('button', { name: 'Delete user' }).click();
	await expect(page).toHaveURL('/login');
	await signIn(page, 'admin@example.com', PASSWORD);
	await expect(page.getByRole('alert')).toHaveText('Incorrect e-mail or password');
});
