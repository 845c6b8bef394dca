import type { UserPublic } from '$lib/api/types';

/** Whether a user is an approved admin: the role the server keeps at least one of. */
export function isApprovedAdmin(user: UserPublic): boolean {
	return user.is_admin && user.status === 'approved';
}

/**
 * Why `target` may not be demoted, disabled or deleted, or null when it may. The server refuses
 * (409) any change that would leave no approved admin; the page disables those actions instead
 * of letting them fail.
 */
export function lastAdminReason(target: UserPublic, users: readonly UserPublic[]): string | null {
	if (!isApprovedAdmin(target)) return null;
	const approvedAdmins = users.filter(isApprovedAdmin).length;
	if (approvedAdmins > 1) return null;
	return 'The only approved admin cannot be demoted, disabled or deleted. Make another user an admin first.';
}

const STATUS_ORDER: Record<UserPublic['status'], number> = { pending: 0, approved: 1, disabled: 2 };

/** Pending users first (they need action), then approved, then disabled; newest first within. */
export function sortUsers(users: readonly UserPublic[]): UserPublic[] {
	return [...users].sort(
		(a, b) =>
			STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || b.created_at.localeCompare(a.created_at)
	);
}
