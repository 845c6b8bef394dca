import { SERVER_UNREACHABLE } from '$lib/api/request';

/**
 * The state of a form that sends one request at a time: whether it is sending, its error for the
 * whole form and the server's messages per field.
 */
export class FormStatus {
	busy = $state(false);
	error = $state<string | null>(null);
	fields = $state<Record<string, string>>({});

	/**
	 * Runs one submission: forgets the last one's messages, holds `busy` until `work` is done and
	 * says so when the server could not be reached.
	 */
	async submit(work: () => Promise<void>): Promise<void> {
		this.busy = true;
		this.clear();
		try {
			await work();
		} catch {
			this.unreachable();
		} finally {
			this.busy = false;
		}
	}

	/** Forgets the messages of the last submission. */
	clear() {
		this.error = null;
		this.fields = {};
	}

	/** The request got no answer. */
	protected unreachable() {
		this.error = SERVER_UNREACHABLE;
	}
}
