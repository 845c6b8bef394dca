import type { Problem } from './types';

/** Whether an `openapi-fetch` error value is an RFC 9457 problem document. */
export function isProblem(error: unknown): error is Problem {
	return (
		typeof error === 'object' &&
		error !== null &&
		typeof (error as Problem).status === 'number' &&
		typeof (error as Problem).title === 'string'
	);
}

/** A sentence for the user from an error response: the problem's `detail`, else its title. */
export function problemMessage(error: unknown, fallback = 'Something went wrong.'): string {
	if (isProblem(error)) {
		const text = error.detail || error.title;
		if (text) return capitalize(text);
	}
	if (typeof error === 'string' && error.trim() !== '' && error.length < 300) return error;
	return fallback;
}

/** Per-field messages of a 422 problem, keyed by field name (`password`, `email`, ...). */
export function fieldErrors(error: unknown): Record<string, string> {
	const result: Record<string, string> = {};
	if (!isProblem(error) || !error.errors) return result;
	for (const { field, message } of error.errors) {
		result[field] = result[field] ? `${result[field]}; ${message}` : message;
	}
	return result;
}

/**
 * A field error as a sentence: "must not be empty" becomes "E-mail must not be empty"; a
 * message that is already a sentence ("it must be at least 8 characters long") is capitalised.
 */
export function fieldMessage(label: string, message: string | undefined): string | undefined {
	if (!message) return undefined;
	return /^(must|is|was|should|cannot|has) /.test(message)
		? `${label} ${message}`
		: capitalize(message);
}

/** Seconds to wait from a `Retry-After` header (seconds or an HTTP date); null when absent. */
export function retryAfterSeconds(response: Response, now = Date.now()): number | null {
	const value = response.headers.get('Retry-After');
	if (!value) return null;
	const seconds = Number(value);
	if (Number.isFinite(seconds)) return Math.max(1, Math.ceil(seconds));
	const date = Date.parse(value);
	return Number.isNaN(date) ? null : Math.max(1, Math.ceil((date - now) / 1000));
}

function capitalize(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}
