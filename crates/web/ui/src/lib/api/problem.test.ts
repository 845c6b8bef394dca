import { describe, expect, it } from 'vitest';
import { fieldErrors, fieldMessage, problemMessage, retryAfterSeconds } from './problem';

const p = (extra: object) => ({ type: 'x', title: 'Request is invalid', status: 422, ...extra });

describe('problem helpers', () => {
	it('prefers detail, then title, then the fallback', () => {
		expect(problemMessage(p({ detail: 'incorrect e-mail or password' }))).toBe(
			'Incorrect e-mail or password'
		);
		expect(problemMessage(p({ detail: null }))).toBe('Request is invalid');
		expect(problemMessage(undefined, 'Failed.')).toBe('Failed.');
	});

	it('collects field errors', () => {
		const errors = fieldErrors(
			p({
				errors: [
					{ field: 'password', message: 'it must be at least 8 characters long' },
					{ field: 'email', message: 'must not be empty' }
				]
			})
		);
		expect(errors).toEqual({
			password: 'it must be at least 8 characters long',
			email: 'must not be empty'
		});
		expect(fieldMessage('E-mail', errors.email)).toBe('E-mail must not be empty');
		expect(fieldMessage('Password', errors.password)).toBe('It must be at least 8 characters long');
	});

	it('reads Retry-After in seconds or as a date', () => {
		const seconds = new Response(null, { status: 429, headers: { 'Retry-After': '42' } });
		expect(retryAfterSeconds(seconds)).toBe(42);
		const now = Date.parse('2026-01-01T00:00:00Z');
		const date = new Response(null, {
			status: 429,
			headers: { 'Retry-After': 'Thu, 01 Jan 2026 00:01:00 GMT' }
		});
		expect(retryAfterSeconds(date, now)).toBe(60);
		expect(retryAfterSeconds(new Response(null, { status: 429 }))).toBeNull();
	});
});
