import { api } from '$lib/api/client';
import { problemMessage } from '$lib/api/problem';
import { SERVER_UNREACHABLE } from '$lib/api/request';
import type { Profile } from '$lib/api/types';

/** The profiles, shared by the pages that list, pick or count them. */
export class ProfilesStore {
	list = $state<Profile[]>([]);
	loaded = $state(false);
	error = $state<string | null>(null);

	async refresh(): Promise<void> {
		try {
			const { data, error } = await api.GET('/api/profiles');
			if (!data) {
				this.error = problemMessage(error, 'The profiles cannot be listed.');
				return;
			}
			this.list = data;
			this.error = null;
			this.loaded = true;
		} catch {
			this.error = SERVER_UNREACHABLE;
		}
	}

	/** The profiles that run a model (its repository id, with or without a revision). */
	using(modelId: string): Profile[] {
		return this.list.filter((p) => p.model === modelId);
	}

	put(profile: Profile): void {
		const index = this.list.findIndex((p) => p.id === profile.id);
		this.list =
			index < 0
				? [...this.list, profile].sort((a, b) => a.name.localeCompare(b.name))
				: this.list.map((p) => (p.id === profile.id ? profile : p));
	}

	remove(id: number): void {
		this.list = this.list.filter((p) => p.id !== id);
	}
}

export const profiles = new ProfilesStore();
