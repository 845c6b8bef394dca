import { describe, expect, it } from 'vitest';
import type { Download, LocalModel, Server } from '$lib/api/types';
import {
	architectureLabel,
	contextLabel,
	deleteBlocker,
	filterChoices,
	filterResults,
	quantizationLabel
} from './models';

const model: LocalModel = {
	model_id: 'org/m',
	commit: 'abc',
	local_path: '/x',
	size_bytes: 10,
	size_gb: 0
};

function server(model: string, state: Server['state']): Server {
	return {
		model,
		state,
		memory_bytes: 1,
		estimated_bytes: 1,
		running: 0,
		queued: 0,
		pinned: false,
		requests_served: 0,
		tokens_generated: 0
	};
}

describe('model labels', () => {
	it('names quantization, architecture and context as people read them', () => {
		expect(quantizationLabel(4)).toBe('4-bit');
		expect(quantizationLabel(null)).toBe('full precision');
		expect(
			architectureLabel({
				architectures: [],
				is_multimodal: false,
				is_tool_use: false,
				has_thinking_switch: false,
				model_type: 'qwen3'
			})
		).toBe('qwen3');
		expect(contextLabel(32768)).toBe('32K');
		expect(contextLabel(1000)).toBe('1000');
	});
});

describe('deleteBlocker', () => {
	it('refuses while a server holds the model, in any revision, or a download is open', () => {
		expect(deleteBlocker(model, [server('org/m@v2', 'ready')], [])).toMatch(/loaded/);
		expect(deleteBlocker(model, [server('org/m', 'failed')], [])).toBeNull();
		const open = { model_id: 'org/m', status: 'paused' } as Download;
		expect(deleteBlocker(model, [], [open])).toMatch(/downloading/);
		expect(deleteBlocker(model, [server('org/other', 'ready')], [])).toBeNull();
	});
});

describe('search filters', () => {
	function result(
		id: string,
		architecture: string | null,
		bits: number | null,
		fits: boolean | null
	) {
		return {
			model_id: id,
			downloads: 1,
			likes: 1,
			tags: [],
			is_downloaded: false,
			fits_in_memory: fits,
			badges: {
				architecture,
				quantization_bits: bits,
				tool_use: false,
				vision: false,
				thinking: false
			}
		};
	}
	const results = [
		result('a', 'Qwen', 4, true),
		result('b', 'Llama', 8, false),
		result('c', 'Qwen', null, null)
	];

	it('keeps what fits, matches the architecture and the bits (or full precision)', () => {
		const none = { fitsInMemory: false, architecture: '', quantization: '' };
		expect(filterResults(results, none).map((r) => r.model_id)).toEqual(['a', 'b', 'c']);
		expect(filterResults(results, { ...none, fitsInMemory: true }).map((r) => r.model_id)).toEqual([
			'a'
		]);
		expect(
			filterResults(results, { ...none, architecture: 'Qwen' }).map((r) => r.model_id)
		).toEqual(['a', 'c']);
		expect(
			filterResults(results, { ...none, quantization: 'none' }).map((r) => r.model_id)
		).toEqual(['c']);
		expect(filterResults(results, { ...none, quantization: '8' }).map((r) => r.model_id)).toEqual([
			'b'
		]);
	});

	it('offers the values present, full precision last', () => {
		expect(filterChoices(results)).toEqual({
			architectures: ['Llama', 'Qwen'],
			quantizations: ['4', '8', 'none']
		});
	});
});
