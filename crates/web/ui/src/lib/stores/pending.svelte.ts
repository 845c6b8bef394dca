import { api } from '$lib/api/client';

/** How often the admin's badge asks for the number of users waiting for approval. */
export const PENDING_POLL_MS = 10_000;

/**
 * The number of users waiting for approval, shown as a badge next to "Users" for admins, and the
 * server's warning when that nears the cap at which registration closes (mass registration).
 */
class PendingCount {
	count = $state<number | null>(null);
	warning = $state<string | null>(null);
	#timer: ReturnType<typeof setInterval> | null = null;
	#inFlight = false;

	async refresh(): Promise<void> {
		if (this.#inFlight) return;
		this.#inFlight = true;
		try {
			const { data } = await api.GET('/api/auth/users/pending/count');
			if (data) {
				this.count = data.count;
				this.warning = data.warning ?? null;
			}
		} catch {
			// Offline for a moment: keep the last count, the next poll tries again.
		} finally {
			this.#inFlight = false;
		}
	}

	/** Polls while the tab is visible; returns the function that stops it. */
	start(): () => void {
		this.stop();
		void this.refresh();
		this.#timer = setInterval(() => {
			if (document.visibilityState === 'visible') void this.refresh();
		}, PENDING_POLL_MS);
		const onVisible = () => {
			if (document.visibilityState === 'visible') void this.refresh();
		};
		document.addEventListener('visibilitychange', onVisible);
		return () => {
			document.removeEventListener('visibilitychange', onVisible);
			this.stop();
		};
	}

	stop(): void {
		if (this.#timer !== null) clearInterval(this.#timer);
		this.#timer = null;
	}

	reset(): void {
		this.stop();
		this.count = null;
		this.warning = null;
	}
}

export const pending = new PendingCount();
