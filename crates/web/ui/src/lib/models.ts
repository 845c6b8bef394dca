import type {
	Download,
	LocalModel,
	ModelCharacteristics,
	SearchResult,
	Server
} from '$lib/api/types';
import { openDownloadOf } from '$lib/downloads';

/** `4-bit`, `8-bit`, or `full precision` (none recorded). */
export function quantizationLabel(bits: number | null | undefined): string {
	return bits ? `${bits}-bit` : 'full precision';
}

/** The architecture as people name it: the family, else the model type. */
export function architectureLabel(c: ModelCharacteristics | null | undefined): string {
	return c?.architecture_family ?? c?.model_type ?? 'unknown';
}

/** Context length as `32K` tokens. */
export function contextLabel(tokens: number | null | undefined): string {
	if (!tokens) return '—';
	return tokens >= 1024 && tokens % 1024 === 0 ? `${tokens / 1024}K` : String(tokens);
}

/** The models a server holds: its repository id without an `@revision`. */
export function servedRepo(server: Server): string {
	const at = server.model.indexOf('@');
	return at < 0 ? server.model : server.model.slice(0, at);
}

/** Why a local model cannot be deleted now, or null when it can. */
export function deleteBlocker(
	model: LocalModel,
	servers: Server[],
	downloads: Download[]
): string | null {
	const loaded = servers.find(
		(s) => servedRepo(s) === model.model_id && s.state !== 'stopped' && s.state !== 'failed'
	);
	if (loaded) return 'It is loaded: stop its server first.';
	if (openDownloadOf(downloads, model.model_id))
		return 'It is downloading: cancel or finish the download first.';
	return null;
}

/** The filters of the hub search, applied to the results the server gave. */
export interface SearchFilters {
	fitsInMemory: boolean;
	/** An architecture family, or '' for any. */
	architecture: string;
	/** Quantization bits as text, 'none' for full precision, or '' for any. */
	quantization: string;
}

export function filterResults(results: SearchResult[], filters: SearchFilters): SearchResult[] {
	return results.filter((r) => {
		if (filters.fitsInMemory && r.fits_in_memory !== true) return false;
		if (filters.architecture && r.badges.architecture !== filters.architecture) return false;
		if (filters.quantization) {
			const bits = r.badges.quantization_bits ?? null;
			if (filters.quantization === 'none' ? bits !== null : String(bits) !== filters.quantization)
				return false;
		}
		return true;
	});
}

/** The distinct values a filter can take among the results, sorted. */
export function filterChoices(results: SearchResult[]): {
	architectures: string[];
	quantizations: string[];
} {
	const architectures = new Set<string>();
	const quantizations = new Set<string>();
	for (const r of results) {
		if (r.badges.architecture) architectures.add(r.badges.architecture);
		quantizations.add(r.badges.quantization_bits ? String(r.badges.quantization_bits) : 'none');
	}
	return {
		architectures: [...architectures].sort(),
		quantizations: [...quantizations].sort((a, b) =>
			a === 'none' ? 1 : b === 'none' ? -1 : Number(a) - Number(b)
		)
	};
}

/** Counts as `1.2M`, `35K`. */
export function compactCount(value: number): string {
	return new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 }).format(
		value
	);
}
