import { describe, expect, it } from 'vitest';
import { passwordStrength } from './password';

describe('passwordStrength', () => {
	it('calls short passwords too short', () => {
		expect(passwordStrength('abc')).toMatchObject({ score: 0, label: 'Too short' });
	});

	it('rates common passwords and sequences weak', () => {
		expect(passwordStrength('password123').score).toBeLessThanOrEqual(1);
		expect(passwordStrength('abcd1234').score).toBeLessThanOrEqual(1);
	});

	it('rates a passphrase strong', () => {
		expect(passwordStrength('correct horse battery staple 42').score).toBe(4);
	});

	it('penalises the e-mail in the password', () => {
		const plain = passwordStrength('margaret-hamilton7');
		const withEmail = passwordStrength('margaret-hamilton7', 'margaret@example.com');
		expect(withEmail.score).toBeLessThan(plain.score);
		expect(withEmail.hint).toMatch(/e-mail/);
	});

	it('refuses over-long passwords', () => {
		expect(passwordStrength('x'.repeat(129)).label).toBe('Too long');
	});
});
