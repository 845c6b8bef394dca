import { tick } from 'svelte';
import { retryAfterSeconds } from '$lib/api/problem';
import { SERVER_UNREACHABLE } from '$lib/api/request';
import { FormStatus } from '$lib/stores/form.svelte';

/** Which form the sign-in page shows. */
export type Mode = 'signin' | 'register';

/** A message over the sign-in and registration forms. */
export type Notice = { kind: 'error' | 'warning' | 'info' | 'success'; text: string };

/**
 * What the sign-in and registration forms share: switching forms keeps the e-mail and clears
 * the rest; a 429 answer blocks both until its countdown ends.
 */
export class LoginState extends FormStatus {
	mode = $state<Mode>('signin');
	email = $state('');
	password = $state('');
	notice = $state<Notice | null>(null);
	/** Seconds until the server takes another attempt. */
	retryIn = $state(0);
	throttled = $derived(this.retryIn > 0);
	#timer: ReturnType<typeof setInterval> | null = null;

	stopCountdown() {
		if (this.#timer !== null) clearInterval(this.#timer);
		this.#timer = null;
	}

	#startCountdown(seconds: number) {
		this.stopCountdown();
		this.retryIn = seconds;
		this.#timer = setInterval(() => {
			this.retryIn = Math.max(0, this.retryIn - 1);
			if (this.retryIn === 0) {
				this.stopCountdown();
				if (this.notice?.kind === 'error' && this.notice.text.startsWith('Too many')) {
					this.notice = null;
				}
			}
		}, 1000);
	}

	/** The server answered 429: wait as long as it says (a minute when it does not say). */
	throttle(response: Response) {
		const seconds = retryAfterSeconds(response) ?? 60;
		this.#startCountdown(seconds);
		this.notice = { kind: 'error', text: `Too many attempts. Retry in ${seconds} s.` };
	}

	/** Shows the other form; `focusTab` moves the focus to its tab (keyboard use). */
	async switchMode(next: Mode, focusTab = false) {
		if (this.mode === next) return;
		this.mode = next;
		this.notice = null;
		this.fields = {};
		this.password = '';
		if (focusTab) {
			await tick();
			document.getElementById(`tab-${next}`)?.focus();
		}
	}

	/** A new account that is not signed in yet: back to the sign-in form, saying why. */
	async registered(address: string, notice: Notice) {
		await this.switchMode('signin');
		this.email = address;
		this.notice = notice;
	}

	override clear() {
		this.notice = null;
		this.fields = {};
	}

	protected override unreachable() {
		this.notice = { kind: 'error', text: `${SERVER_UNREACHABLE} Try again in a moment.` };
	}
}
