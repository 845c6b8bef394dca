import { expect, seedUsers, shoot, signIn, test, userMenuButton } from './fixtures';

test('the user menu opens, moves and closes with the keyboard', async ({ page, request }) => {
	await seedUsers(request);
	await signIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/');

	const button = userMenuButton(page);
	const menu = page.getByRole('menu');
	await button.focus();
	await page.keyboard.press('Enter');
	await expect(menu).toBeVisible();
	await expect(button).toHaveAttribute('aria-expanded', 'true');
	await expect(page.getByRole('menuitem', { name: 'Account' })).toBeFocused();
	await expect(menu).toContainText('admin@example.com');
	await shoot(page, 'user-menu');

	await page.keyboard.press('ArrowDown');
	await expect(page.getByRole('menuitem', { name: 'Sign out' })).toBeFocused();
	await page.keyboard.press('ArrowDown');
	await expect(page.getByRole('menuitem', { name: 'Account' })).toBeFocused();

	await page.keyboard.press('Escape');
	await expect(menu).toBeHidden();
	await expect(button).toHaveAttribute('aria-expanded', 'false');
	await expect(button).toBeFocused();

	// ArrowDown opens it too; Enter on an item follows it.
	await page.keyboard.press('ArrowDown');
	await expect(page.getByRole('menuitem', { name: 'Account' })).toBeFocused();
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL('/account');
	await expect(menu).toBeHidden();
});

test('the sign-in form works from the keyboard alone', async ({ page, request }) => {
	await seedUsers(request);
	await page.goto('/login');
	await page.getByLabel('E-mail').focus();
	await page.keyboard.type('admin@example.com');
	await page.keyboard.press('Tab');
	await page.keyboard.type('correct horse battery staple 42');
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL('/');

	// Tab order starts with the skip link, then the header.
	await page.keyboard.press('Tab');
	await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
});

test('every form control has a label', async ({ page, request }) => {
	await seedUsers(request);
	await signIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/');
	for (const path of ['/account', '/users']) {
		await page.goto(path);
		await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
		const unlabelled = await page.evaluate(() =>
			[...document.querySelectorAll('input, select, textarea, button')]
				.filter((el) => !(el as HTMLElement).closest('[aria-hidden="true"]'))
				.filter((el) => el.getAttribute('aria-hidden') !== 'true')
				.filter((el) => {
					const e = el as HTMLInputElement;
					const text = (e.labels?.length ? 'x' : '') + (e.getAttribute('aria-label') ?? '');
					const labelledBy = e.getAttribute('aria-labelledby');
					return !text && !labelledBy && !(el.tagName === 'BUTTON' && el.textContent?.trim());
				})
				.map((el) => el.outerHTML.slice(0, 120))
		);
		expect(unlabelled, path).toEqual([]);
	}
});

test('dark mode follows the OS setting', async ({ page, request }) => {
	await seedUsers(request, { member: true });
	await page.emulateMedia({ colorScheme: 'dark' });
	await signIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/');
	const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
	const [r, g, b] = (background.match(/\d+/g) ?? []).map(Number);
	expect(r! + g! + b!, background).toBeLessThan(120);
	await page.goto('/users');
	await expect(page.getByTestId('user-row')).toHaveCount(2);
	await shoot(page, 'dark-users');
	await page.getByRole('button', { name: 'Create user' }).click();
	await shoot(page, 'dark-dialog-create-user');
	await page.keyboard.press('Escape');
	await page.goto('/account');
	await shoot(page, 'dark-account');
});
