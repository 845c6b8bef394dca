const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** A timestamp for people, or the fallback when there is none. */
export function formatDateTime(iso: string | null | undefined, fallback = '—'): string {
	if (!iso) return fallback;
	const date = new Date(iso);
	return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

export function formatDate(iso: string | null | undefined, fallback = '—'): string {
	if (!iso) return fallback;
	const date = new Date(iso);
	return Number.isNaN(date.getTime()) ? iso : dateOnly.format(date);
}
