import { spawn } from 'node:child_process';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../../..');

/** The project's model fixtures (`./setup` builds them). */
export function fixture(name: string): string {
	return path.join(repo, '.fixtures', name);
}

/** The tests' fake Hugging Face hub as a program (`cargo build -p mlx-manager-tests`). */
export const FAKE_HUB_BIN = process.env.FAKE_HUB_BIN ?? path.join(repo, 'target/debug/fake-hub');

export interface FakeHub {
	url: string;
	stop: () => Promise<void>;
}

/**
 * Starts the fake hub publishing each `repo id → fixture`, its transfers slowed to
 * `bytesPerSecond` when given (so a test can pause a download while it runs).
 */
export async function startHub(
	models: Record<string, string>,
	bytesPerSecond?: number
): Promise<FakeHub> {
	const args = Object.entries(models).flatMap(([id, name]) => [id, fixture(name)]);
	const env = { ...process.env };
	if (bytesPerSecond) env.FAKE_HUB_BYTES_PER_SEC = String(bytesPerSecond);
	const child = spawn(FAKE_HUB_BIN, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
	let stderr = '';
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	const url = await new Promise<string>((resolve, reject) => {
		let stdout = '';
		const timer = setTimeout(
			() => reject(new Error(`fake hub: no URL in 10 s\n${stderr}`)),
			10_000
		);
		child.once('error', (error) => {
			clearTimeout(timer);
			reject(new Error(`cannot start ${FAKE_HUB_BIN}: ${error.message} (set FAKE_HUB_BIN)`));
		});
		child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
			stdout += chunk;
			if (stdout.includes('\n')) {
				clearTimeout(timer);
				resolve(stdout.split('\n')[0]!.trim().replace(/\/$/, ''));
			}
		});
	});
	return {
		url,
		// The hub serves until its standard input closes.
		stop: async () => {
			child.stdin.end();
			const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
			await exited;
			clearTimeout(killer);
		}
	};
}

/**
 * Puts a fixture into the Hugging Face cache at `hfHome` as a complete snapshot of `repoId`
 * (files linked, `refs/main` written), as if it had been downloaded.
 */
export async function installModel(hfHome: string, repoId: string, fixtureName: string) {
	const commit = '0123456789abcdef0123456789abcdef01234567';
	const repoDir = path.join(hfHome, 'hub', `models--${repoId.replace('/', '--')}`);
	const snapshot = path.join(repoDir, 'snapshots', commit);
	await mkdir(snapshot, { recursive: true });
	await mkdir(path.join(repoDir, 'refs'), { recursive: true });
	await writeFile(path.join(repoDir, 'refs', 'main'), commit);
	for (const file of await readdir(fixture(fixtureName))) {
		await symlink(path.join(fixture(fixtureName), file), path.join(snapshot, file));
	}
}
