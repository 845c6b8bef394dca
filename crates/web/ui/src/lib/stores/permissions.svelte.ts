import { api } from '$lib/api/client';
import type { Permissions } from '$lib/api/types';
import { auth } from './auth.svelte';

/** Why a member's control is off, shown as its tooltip. */
export const ADMIN_ONLY = 'Only an admin can do this here (the admin can allow members on System).';

/**
 * What members may do, as the admin set it: the UI disables what the user cannot do and says
 * why. The server checks every action anyway.
 */
export class PermissionsStore {
	value = $state<Permissions | null>(null);

	readonly canManageModels = $derived(auth.isAdmin || this.value?.members_manage_models === true);
	readonly canLoadModels = $derived(auth.isAdmin || this.value?.members_load_models === true);

	async refresh(): Promise<void> {
		try {
			const { data } = await api.GET('/api/settings/permissions');
			if (data) this.value = data;
		} catch {
			// Unreachable: keep what was known; actions still get the server's answer.
		}
	}

	set(value: Permissions): void {
		this.value = value;
	}
}

export const permissions = new PermissionsStore();
