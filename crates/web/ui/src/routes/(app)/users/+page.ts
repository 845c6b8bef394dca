import { redirect } from '@sveltejs/kit';
import type { PageLoad } from './$types';

// Admins only: anyone else is sent home (the API would refuse them with 403 anyway).
export const load: PageLoad = async ({ parent }) => {
	const { user } = await parent();
	if (!(user.is_admin && user.status === 'approved')) redirect(307, '/');
};
