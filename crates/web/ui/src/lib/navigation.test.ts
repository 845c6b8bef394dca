import { describe, expect, it } from 'vitest';
import { loginHref, safeNext } from './navigation';

describe('safeNext', () => {
	it('keeps same-origin paths with their query and hash', () => {
		expect(safeNext('/account')).toBe('/account');
		expect(safeNext('/users?status=pending#top')).toBe('/users?status=pending#top');
	});

	it.each([
		null,
		undefined,
		'',
		'account',
		'//evil.example/x',
		'/\\evil.example',
		'\\\\evil.example',
		'https://evil.example/',
		'javascript:alert(1)',
		'/\t/evil.example',
		'/login',
		'/login?next=/users'
	])('refuses %j', (value) => {
		expect(safeNext(value)).toBe('/');
	});
});

describe('loginHref', () => {
	it('encodes where to come back to', () => {
		expect(loginHref('/account?x=1')).toBe('/login?next=%2Faccount%3Fx%3D1');
	});

	it('gives plain /login for home and for the login page', () => {
		expect(loginHref('/')).toBe('/login');
		expect(loginHref('/login?next=/x')).toBe('/login');
	});
});
