import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatRate, percent } from './units';

describe('formatBytes', () => {
	it('uses powers of 1024 and fewer digits for bigger numbers', () => {
		expect(formatBytes(0)).toBe('0 B');
		expect(formatBytes(1023)).toBe('1023 B');
		expect(formatBytes(1536)).toBe('1.50 KB');
		expect(formatBytes(15 * 1024 * 1024)).toBe('15.0 MB');
		expect(formatBytes(512 * 1024 ** 3)).toBe('512 GB');
	});
	it('shows the fallback for what is not a size', () => {
		expect(formatBytes(null)).toBe('—');
		expect(formatBytes(-1)).toBe('—');
		expect(formatBytes(Number.NaN, 'unknown')).toBe('unknown');
	});
});

describe('formatDuration', () => {
	it('picks the two largest units', () => {
		expect(formatDuration(0)).toBe('0 s');
		expect(formatDuration(59.6)).toBe('1 min 00 s');
		expect(formatDuration(200)).toBe('3 min 20 s');
		expect(formatDuration(7500)).toBe('2 h 05 min');
		expect(formatDuration(3 * 86400 + 4 * 3600)).toBe('3 d 4 h');
		expect(formatDuration(null)).toBe('—');
	});
});

describe('rates and shares', () => {
	it('says nothing for a stalled rate and clamps shares', () => {
		expect(formatRate(0)).toBe('—');
		expect(formatRate(2048)).toBe('2.00 KB/s');
		expect(percent(1, 3)).toBe(33);
		expect(percent(5, 0)).toBe(0);
		expect(percent(12, 10)).toBe(100);
	});
});
