import { execFile } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
	test as base,
	expect,
	type APIRequestContext,
	type Browser,
	type Page
} from '@playwright/test';

const here = path.dirname(fileURLToPath(import.meta.url));
const uiDir = path.resolve(here, '..');
const repo = path.resolve(uiDir, '../../..');

/** The server binary under test; `cargo build --release -p mlx-manager` makes the default. */
export const BIN = process.env.MLX_MANAGER_BIN ?? path.join(repo, 'target/release/mlx-manager');

/** A password the server's strength check (zxcvbn) accepts. */
export const PASSWORD = 'correct horse battery staple 42';
export const NEW_PASSWORD = 'violet submarine orchestra 1987';

export interface Server {
	/** `http://127.0.0.1:<port>`, as the server printed it. */
	url: string;
	/** What the server wrote to stderr so far (attached to failed tests). */
	log: () => string;
	/** The server's data directory (it holds `jwt-secret`). */
	dataDir: string;
}

/**
 * Starts `mlx-manager serve --port 0` (plus `args`) with a private data dir and waits for its
 * URL; a server bound to every address is reached through 127.0.0.1.
 */
export async function startServer(
	dir: string,
	args: string[] = [],
	extraEnv: NodeJS.ProcessEnv = {}
): Promise<{ server: Server; stop: () => Promise<void> }> {
	const dataDir = path.join(dir, 'data');
	const env: NodeJS.ProcessEnv = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (!key.startsWith('MLX_MANAGER_') && !key.startsWith('HF_')) env[key] = value;
	}
	Object.assign(env, {
		MLX_MANAGER_DATA_DIR: dataDir,
		HOME: dir,
		HF_HUB_OFFLINE: '1',
		MLX_MANAGER_LOG_LEVEL: 'warn',
		...extraEnv
	});

	const child = spawn(BIN, ['serve', '--port', '0', ...args], {
		env,
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let stderr = '';
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
	const exited = new Promise<number | null>((resolve) =>
		child.once('exit', (code) => resolve(code))
	);

	const url = await new Promise<string>((resolve, reject) => {
		let stdout = '';
		const timer = setTimeout(
			() => reject(new Error(`${BIN} printed no URL within 30 s.\nstderr:\n${stderr}`)),
			30_000
		);
		child.once('error', (error) => {
			clearTimeout(timer);
			reject(new Error(`cannot start ${BIN}: ${error.message} (set MLX_MANAGER_BIN)`));
		});
		void exited.then((code) => {
			clearTimeout(timer);
			reject(new Error(`${BIN} exited with ${code} before listening.\nstderr:\n${stderr}`));
		});
		child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
			stdout += chunk;
			const line = stdout.split('\n')[0];
			if (stdout.includes('\n') && line !== undefined) {
				const match = /listening on (http:\/\/\S+)/.exec(line);
				clearTimeout(timer);
				if (match?.[1]) resolve(match[1].replace(/\/$/, '').replace('//0.0.0.0:', '//127.0.0.1:'));
				else reject(new Error(`unexpected first line: ${line}`));
			}
		});
	});

	return {
		server: { url, log: () => stderr, dataDir },
		stop: async () => {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGTERM');
				const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
				await exited;
				clearTimeout(killer);
			}
		}
	};
}

export const test = base.extend<{ serverEnv: NodeJS.ProcessEnv; server: Server }>({
	/** Extra environment for the test's server; specs override it (a hub, a model cache). */
	// Playwright reads the fixtures a fixture needs from this pattern: none here.
	// eslint-disable-next-line no-empty-pattern
	serverEnv: async ({}, use) => {
		await use({});
	},
	server: async ({ serverEnv }, use, testInfo) => {
		const dir = await mkdtemp(path.join(tmpdir(), 'mlx-manager-e2e-'));
		const { server, stop } = await startServer(dir, [], serverEnv);
		try {
			await use(server);
		} finally {
			await stop();
			if (testInfo.status !== testInfo.expectedStatus) {
				await testInfo.attach('server-stderr', { body: server.log(), contentType: 'text/plain' });
			}
			await rm(dir, { recursive: true, force: true });
		}
	},
	baseURL: async ({ server }, use) => {
		await use(server.url);
	}
});

export { expect };

// ---- API helpers (setting the scene quickly; the UI under test is driven through `page`) ----

export async function registerApi(request: APIRequestContext, email: string, password = PASSWORD) {
	const response = await request.post('/api/auth/register', { data: { email, password } });
	expect(response.status(), await response.text()).toBe(201);
	return (await response.json()) as {
		id: number;
		email: string;
		status: string;
		is_admin: boolean;
	};
}

export async function loginApi(request: APIRequestContext, email: string, password = PASSWORD) {
	const response = await request.post('/api/auth/login', { data: { username: email, password } });
	expect(response.status(), await response.text()).toBe(200);
	return ((await response.json()) as { access_token: string }).access_token;
}

export async function patchUserApi(
	request: APIRequestContext,
	token: string,
	id: number,
	data: { status?: string; is_admin?: boolean }
) {
	const response = await request.patch(`/api/auth/users/${id}`, {
		data,
		headers: { Authorization: `Bearer ${token}` }
	});
	expect(response.status(), await response.text()).toBe(200);
}

/** An approved admin (the first user) and, optionally, an approved member. */
export async function seedUsers(request: APIRequestContext, { member = false } = {}) {
	const admin = await registerApi(request, 'admin@example.com');
	const adminToken = await loginApi(request, admin.email);
	if (!member) return { admin, adminToken };
	const user = await registerApi(request, 'member@example.com');
	await patchUserApi(request, adminToken, user.id, { status: 'approved' });
	return { admin, adminToken, user };
}

// ---- UI helpers ----

export async function signIn(page: Page, email: string, password = PASSWORD, path = '/login') {
	await page.goto(path);
	await submitSignIn(page, email, password);
}

/** Fills and submits the sign-in form of the page as it is. */
export async function submitSignIn(page: Page, email: string, password = PASSWORD) {
	await page.getByLabel('E-mail').fill(email);
	await page.getByLabel('Password', { exact: true }).fill(password);
	await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** The user-menu button in the header (it shows the e-mail). */
export function userMenuButton(page: Page) {
	return page.getByRole('button', { name: /@/ }).and(page.locator('[aria-haspopup="menu"]'));
}

/** A second, independent browser session on the same server. */
export async function newSession(browser: Browser, baseURL: string) {
	const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
	return { context, page: await context.newPage() };
}

/** The stored session token of a page (what the app keeps in localStorage). */
export async function storedToken(page: Page): Promise<string> {
	const raw = await page.evaluate(() => localStorage.getItem('mlx-manager.session'));
	expect(raw, 'a session in localStorage').toBeTruthy();
	return (JSON.parse(raw!) as { token: string }).token;
}

/**
 * The token with some claims changed, signed again with the server's own HS256 secret (the hex
 * in `<data dir>/jwt-secret`): how a test gets a genuine token that has expired.
 */
export async function resignedToken(
	server: Server,
	token: string,
	claims: Record<string, number | string>
): Promise<string> {
	const [header, payload] = token.split('.');
	expect(header && payload, 'a JWT').toBeTruthy();
	const decoded = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as object;
	const body = Buffer.from(JSON.stringify({ ...decoded, ...claims })).toString('base64url');
	const secret = Buffer.from(
		(await readFile(path.join(server.dataDir, 'jwt-secret'), 'utf8')).trim(),
		'hex'
	);
	const signature = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url');
	return `${header}.${body}.${signature}`;
}

/** Replaces the session token the app keeps in localStorage, keeping its user. */
export async function replaceStoredToken(page: Page, token: string) {
	await page.evaluate((token) => {
		const session = JSON.parse(localStorage.getItem('mlx-manager.session')!) as object;
		localStorage.setItem('mlx-manager.session', JSON.stringify({ ...session, token }));
	}, token);
}

export const screenshotDir = path.join(uiDir, 'screenshots');

const VIEWPORTS = [
	{ name: 'desktop', width: 1280, height: 800 },
	{ name: 'phone', width: 390, height: 844 }
] as const;

/**
 * Screenshots the page at desktop and phone width, in the light and the dark scheme, into
 * `screenshots/` and checks, at both widths, that nothing scrolls sideways.
 */
export async function shoot(page: Page, name: string) {
	await mkdir(screenshotDir, { recursive: true });
	const original = page.viewportSize();
	for (const viewport of VIEWPORTS) {
		await page.setViewportSize({ width: viewport.width, height: viewport.height });
		for (const scheme of ['light', 'dark'] as const) {
			await page.emulateMedia({ colorScheme: scheme });
			// Let layout and transitions settle after the resize.
			await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
			const overflow = await page.evaluate(
				() => document.documentElement.scrollWidth - document.documentElement.clientWidth
			);
			expect(overflow, `${name} scrolls sideways at ${viewport.width}px`).toBeLessThanOrEqual(0);
			await page.screenshot({
				path: path.join(screenshotDir, `${name}-${viewport.name}-${scheme}.png`),
				fullPage: true
			});
		}
	}
	await page.emulateMedia({ colorScheme: 'light' });
	if (original) await page.setViewportSize(original);
}

const execFileAsync = promisify(execFile);

/** `curl -s -H "Authorization: Bearer <key>" <url>`: the API key used outside the browser. */
export async function curlWithKey(url: string, key: string) {
	const { stdout } = await execFileAsync('curl', [
		'-s',
		'-w',
		'\n%{http_code}',
		'-H',
		`Authorization: Bearer ${key}`,
		url
	]);
	const lines = stdout.trimEnd().split('\n');
	const status = Number(lines.pop());
	return { status, body: lines.join('\n') };
}
