const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Bytes for people, in powers of 1024 with the usual short names (`1.5 GB`). */
export function formatBytes(bytes: number | null | undefined, fallback = '—'): string {
	if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0)
		return fallback;
	let value = bytes;
	let unit = 0;
	while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
		value /= 1024;
		unit += 1;
	}
	const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
	return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number | null | undefined): string {
	if (!bytesPerSecond || bytesPerSecond <= 0) return '—';
	return `${formatBytes(bytesPerSecond)}/s`;
}

/** A span of seconds as `45 s`, `3 min 20 s`, `2 h 05 min`, `3 d 4 h`. */
export function formatDuration(seconds: number | null | undefined, fallback = '—'): string {
	if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0)
		return fallback;
	const s = Math.round(seconds);
	if (s < 60) return `${s} s`;
	const minutes = Math.floor(s / 60);
	if (minutes < 60) return `${minutes} min ${String(s % 60).padStart(2, '0')} s`;
	const hours = Math.floor(minutes / 60);
	if (hours < 24) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
	return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** A share as a whole percentage, clamped to 0–100. */
export function percent(part: number, whole: number): number {
	if (!whole || whole <= 0) return 0;
	return Math.max(0, Math.min(100, Math.round((part / whole) * 100)));
}
