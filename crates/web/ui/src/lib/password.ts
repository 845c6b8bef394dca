/** The server's length limits for passwords. */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

export type StrengthScore = 0 | 1 | 2 | 3 | 4;

export interface Strength {
	score: StrengthScore;
	label: string;
	/** What would make it stronger, when there is something to say. */
	hint?: string;
}

const LABELS = ['Too weak', 'Weak', 'Fair', 'Good', 'Strong'] as const;

const COMMON = [
	'password',
	'passwort',
	'qwerty',
	'azerty',
	'letmein',
	'welcome',
	'admin',
	'iloveyou',
	'monkey',
	'dragon',
	'secret',
	'abc123',
	'111111',
	'123123',
	'000000'
];

const SEQUENCES = [
	'0123456789',
	'abcdefghijklmnopqrstuvwxyz',
	'qwertyuiop',
	'asdfghjkl',
	'zxcvbnm'
];

/** Whether the text holds 4+ characters in a row of a keyboard row or the alphabet (or reversed). */
function hasSequence(lower: string): boolean {
	for (const seq of SEQUENCES) {
		for (const s of [seq, [...seq].reverse().join('')]) {
			for (let i = 0; i + 4 <= s.length; i++) {
				if (lower.includes(s.slice(i, i + 4))) return true;
			}
		}
	}
	return false;
}

/**
 * A quick local estimate of password strength, for feedback while typing. The server has the
 * final word (it uses zxcvbn and says why it refuses a password); this only has to point the
 * same way.
 */
export function passwordStrength(password: string, email = ''): Strength {
	if (password.length === 0) return { score: 0, label: LABELS[0], hint: 'Enter a password.' };
	if (password.length < PASSWORD_MIN) {
		return { score: 0, label: 'Too short', hint: `Use at least ${PASSWORD_MIN} characters.` };
	}
	if (password.length > PASSWORD_MAX) {
		return { score: 0, label: 'Too long', hint: `Use at most ${PASSWORD_MAX} characters.` };
	}

	const lower = password.toLowerCase();
	const hints: string[] = [];

	// Words the user is known by add almost nothing: measure what is left without them.
	const local = email.split('@')[0]?.toLowerCase() ?? '';
	let rest = password;
	if (local.length >= 3 && lower.includes(local)) {
		rest = lower.split(local).join('');
		hints.push('Do not include your e-mail address.');
	}

	let pool = 0;
	if (/[a-z]/.test(rest)) pool += 26;
	if (/[A-Z]/.test(rest)) pool += 26;
	if (/[0-9]/.test(rest)) pool += 10;
	if (/[^a-zA-Z0-9\s]/.test(rest)) pool += 33;
	if (/\s/.test(rest)) pool += 1;

	// Repeated characters add little: count distinct ones generously.
	const distinct = new Set(rest).size;
	const effectiveLength = Math.min(rest.length, distinct * 2);
	let bits = effectiveLength * Math.log2(Math.max(pool, 2));

	if (COMMON.some((word) => lower.includes(word))) {
		bits = Math.min(bits, 20);
		hints.unshift('Avoid common passwords.');
	}
	if (hasSequence(lower)) {
		bits -= 15;
		hints.push('Avoid sequences like “1234” or “qwer”.');
	}

	const score: StrengthScore = bits < 30 ? 1 : bits < 45 ? 2 : bits < 65 ? 3 : 4;
	if (score < 3 && hints.length === 0) {
		hints.push('Longer is stronger: try a few unrelated words.');
	}
	return { score, label: LABELS[score], hint: hints[0] };
}
