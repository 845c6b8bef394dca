import {
	PASSWORD,
	expect,
	newSession,
	patchUserApi,
	registerApi,
	replaceStoredToken,
	resignedToken,
	seedUsers,
	shoot,
	signIn,
	submitSignIn,
	storedToken,
	test,
	userMenuButton
} from './fixtures';

test('first user registers and lands as admin; a second waits for approval; approval updates the badge', async ({
	page,
	browser,
	server
}) => {
	// The first user: register with a confirmed password, land at home as an admin.
	await page.goto('/');
	await expect(page).toHaveURL('/login');
	await shoot(page, 'login');

	await page.getByRole('tab', { name: 'Create account' }).click();
	await page.getByLabel('E-mail').fill('ada@example.com');
	await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
	await page.getByLabel('Confirm password').fill(PASSWORD.slice(0, -1) + 'x');
	await expect(page.getByText('The passwords do not match.')).toBeVisible();
	await expect(page.getByText('Strength: Strong')).toBeVisible();
	await shoot(page, 'register');
	await page.getByRole('button', { name: 'Create account', exact: true }).click();
	// A mismatch never reaches the server: still here, nobody registered.
	await expect(page).toHaveURL('/login');
	await page.getByLabel('Confirm password').fill(PASSWORD);
	await page.getByRole('button', { name: 'Create account', exact: true }).click();

	await expect(page).toHaveURL('/');
	await expect(page.getByRole('heading', { name: 'Welcome, ada@example.com' })).toBeVisible();
	await expect(page.getByRole('link', { name: 'Users' })).toBeVisible();
	await userMenuButton(page).click();
	await expect(page.getByRole('menu').getByText('admin', { exact: true })).toBeVisible();
	await page.keyboard.press('Escape');

	// The second user: registering says they wait; signing in says so too.
	const second = await newSession(browser, server.url);
	await second.page.goto('/login');
	await second.page.getByRole('tab', { name: 'Create account' }).click();
	await second.page.getByLabel('E-mail').fill('bob@example.com');
	await second.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
	await second.page.getByLabel('Confirm password').fill(PASSWORD);
	await second.page.getByRole('button', { name: 'Create account', exact: true }).click();
	await expect(second.page.getByTestId('login-notice')).toContainText(
		"waiting for an administrator's approval"
	);
	await shoot(second.page, 'register-pending');
	await second.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
	await second.page.getByRole('button', { name: 'Sign in', exact: true }).click();
	await expect(second.page.getByRole('alert')).toContainText(
		"waiting for an administrator's approval"
	);
	await expect(second.page).toHaveURL('/login');

	// The admin sees one pending user in the badge (polled), approves them, the badge goes.
	const badge = page.getByTestId('pending-badge');
	await expect(badge).toHaveText(/^1/, { timeout: 15_000 });
	await page.getByRole('link', { name: /Users/ }).click();
	await expect(page).toHaveURL('/users');
	const row = page.getByTestId('user-row').filter({ hasText: 'bob@example.com' });
	await expect(row.getByTestId('status')).toHaveText('pending');
	await shoot(page, 'users');
	await row.getByRole('button', { name: 'Approve bob@example.com' }).click();
	await expect(row.getByTestId('status')).toHaveText('approved');
	await expect(badge).toBeHidden();

	// Now the second user gets in, without admin rights.
	await second.page.getByRole('button', { name: 'Sign in', exact: true }).click();
	await expect(second.page).toHaveURL('/');
	await expect(second.page.getByRole('link', { name: 'Home', exact: true })).toBeVisible();
	await expect(second.page.getByRole('link', { name: 'Users' })).toHaveCount(0);
	await second.context.close();
});

test('a non-admin cannot reach /users', async ({ page, request }) => {
	await seedUsers(request, { member: true });
	await signIn(page, 'member@example.com');
	await expect(page).toHaveURL('/');
	await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);

	await page.goto('/users');
	await expect(page).toHaveURL('/');
	await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
});

test('disabling a user sends their next navigation to /login', async ({ page, request }) => {
	const { adminToken, user } = await seedUsers(request, { member: true });
	// The home page's own requests answer first: one answered 401 after the disable would send
	// the user to sign in before the navigation this test is about (a race under load).
	const homeRequests = [
		'/health',
		'/api/chats',
		'/api/profiles',
		'/api/models/local',
		'/api/models/downloads',
		'/api/settings/permissions',
		'/api/servers/memory'
	].map((path) => page.waitForResponse((r) => new URL(r.url()).pathname === path));
	await signIn(page, user!.email);
	await expect(page).toHaveURL('/');
	await Promise.all(homeRequests);

	await patchUserApi(request, adminToken, user!.id, { status: 'disabled' });

	// A client-side navigation: the guard re-checks the session with the server.
	await userMenuButton(page).click();
	await page.getByRole('menuitem', { name: 'Account' }).click();
	await expect(page).toHaveURL('/login?next=%2Faccount');
	expect(await page.evaluate(() => localStorage.getItem('mlx-manager.session'))).toBeNull();

	await submitSignIn(page, user!.email);
	await expect(page.getByRole('alert')).toContainText('disabled');
});

test('reload keeps the session', async ({ page, request }) => {
	await seedUsers(request);
	await signIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/');
	await page.goto('/account');
	await page.reload();
	await expect(page).toHaveURL('/account');
	await expect(page.getByRole('heading', { name: 'Account' })).toBeVisible();
	await expect(userMenuButton(page)).toContainText('admin@example.com');
});

test('a revoked token returns to /login, then back to where the user was', async ({
	page,
	request
}) => {
	await seedUsers(request);
	// The admin's badge asks for the pending count as the app mounts; revoking before that answer
	// would let the badge's 401 (on `/`, so no `next`) win the race with the click below.
	const badgeAsked = page.waitForResponse((r) => r.url().endsWith('/api/auth/users/pending/count'));
	await signIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/');
	expect((await badgeAsked).status()).toBe(200);

	// Revoke the browser's token on the server, as "sign out everywhere" or expiry would.
	const token = await storedToken(page);
	const revoked = await request.post('/api/auth/logout', {
		headers: { Authorization: `Bearer ${token}` }
	});
	expect(revoked.status()).toBe(204);

	await userMenuButton(page).click();
	await page.getByRole('menuitem', { name: 'Account' }).click();
	await expect(page).toHaveURL('/login?next=%2Faccount');

	await submitSignIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/account');
	await expect(page.getByRole('heading', { name: 'Account' })).toBeVisible();

	// The same on a full page load (a deep link opened with a dead token).
	const again = await storedToken(page);
	await request.post('/api/auth/logout', { headers: { Authorization: `Bearer ${again}` } });
	await page.goto('/users?x=1');
	await expect(page).toHaveURL('/login?next=%2Fusers%3Fx%3D1');
	await submitSignIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/users?x=1');
});

test('an expired token returns to /login, then back to where the user was', async ({
	page,
	request,
	server
}) => {
	await seedUsers(request);
	await signIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/');
	const token = await storedToken(page);
	const now = Math.floor(Date.now() / 1000);

	// The same claims re-signed with a future expiry still work, so the 401 below is the expiry.
	const fresh = await resignedToken(server, token, { exp: now + 3600 });
	const accepted = await request.get('/api/auth/me', {
		headers: { Authorization: `Bearer ${fresh}` }
	});
	expect(accepted.status()).toBe(200);

	const expired = await resignedToken(server, token, {
		iat: now - 7200,
		nbf: now - 7200,
		exp: now - 600
	});
	const refused = await request.get('/api/auth/me', {
		headers: { Authorization: `Bearer ${expired}` }
	});
	expect(refused.status()).toBe(401);

	await replaceStoredToken(page, expired);
	await page.goto('/account');
	await expect(page).toHaveURL('/login?next=%2Faccount');
	await submitSignIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/account');
	await expect(page.getByRole('heading', { name: 'Account' })).toBeVisible();
});

test('next never leads off the site', async ({ page, request }) => {
	await seedUsers(request);
	await signIn(page, 'admin@example.com', PASSWORD, '/login?next=//evil.example/steal');
	await expect(page).toHaveURL('/');
});

test('a wrong password shows the message in place, then throttling says when to retry', async ({
	page,
	request
}) => {
	await seedUsers(request);
	await page.goto('/login?next=%2Faccount');
	// Survives only if the page is never reloaded.
	await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

	await submitSignIn(page, 'admin@example.com', 'not the password at all');
	await expect(page.getByRole('alert')).toHaveText('Incorrect e-mail or password');
	await expect(page).toHaveURL('/login?next=%2Faccount');
	expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
	await shoot(page, 'login-error');

	// The server allows 5 failures per e-mail, then answers 429 with Retry-After.
	const submit = page.locator('form button[type="submit"]');
	for (let attempt = 2; attempt <= 6; attempt++) {
		await page.getByLabel('Password', { exact: true }).fill(`wrong password number ${attempt}`);
		await submit.click();
		await expect(submit)
			.toBeEnabled({ timeout: 10_000 })
			.catch(() => undefined);
		if (await page.getByText(/Too many attempts/).isVisible()) break;
	}
	await expect(page.getByRole('alert')).toHaveText(/Too many attempts\. Retry in \d+ s\./);
	await expect(submit).toBeDisabled();
	await expect(submit).toHaveText(/Retry in \d+ s/);
	expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
});

test('signing out revokes the token on the server', async ({ page, request }) => {
	await seedUsers(request);
	await signIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/');
	const token = await storedToken(page);

	await userMenuButton(page).click();
	await page.getByRole('menuitem', { name: 'Sign out' }).click();
	await expect(page).toHaveURL('/login');
	const me = await request.get('/api/auth/me', { headers: { Authorization: `Bearer ${token}` } });
	expect(me.status()).toBe(401);

	// Back to a protected page: the sign-in form, not the page.
	await page.goto('/account');
	await expect(page).toHaveURL('/login?next=%2Faccount');
});

test('home shows the real server health', async ({ page, request }) => {
	await seedUsers(request);
	await signIn(page, 'admin@example.com');
	await expect(page.getByTestId('health-status')).toHaveText('Healthy');
	const health = (await (await request.get('/health')).json()) as { version: string };
	await expect(page.getByTestId('health-version')).toHaveText(health.version);
	await expect(page.getByText('sqlite')).toBeVisible();
	await shoot(page, 'home');
});

test('an already signed-in user visiting /login goes on to next', async ({ page, request }) => {
	await seedUsers(request);
	await signIn(page, 'admin@example.com');
	await expect(page).toHaveURL('/');
	await page.goto('/login?next=%2Faccount');
	await expect(page).toHaveURL('/account');
});

test('a weak password is refused with the server reason next to the field', async ({
	page,
	request
}) => {
	await registerApi(request, 'admin@example.com');
	await page.goto('/login');
	await page.getByRole('tab', { name: 'Create account' }).click();
	await page.getByLabel('E-mail').fill('someone@example.com');
	await page.getByLabel('Password', { exact: true }).fill('password1');
	await page.getByLabel('Confirm password').fill('password1');
	await page.getByRole('button', { name: 'Create account', exact: true }).click();
	// The server's zxcvbn verdict, shown by the field.
	await expect(page.getByTestId('password-error')).toBeVisible();
	await expect(page).toHaveURL('/login');
	await shoot(page, 'register-weak-password');

	// A taken e-mail is reported by the e-mail field.
	await page.getByLabel('E-mail').fill('admin@example.com');
	await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
	await page.getByLabel('Confirm password').fill(PASSWORD);
	await page.getByRole('button', { name: 'Create account', exact: true }).click();
	await expect(page.locator('#email-error')).toBeVisible();
});
