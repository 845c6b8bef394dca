import { describe, expect, it } from 'vitest';
import type { Profile } from '$lib/api/types';
import { draftFrom, requestFrom, suggestName } from './profileForm';

const profile: Profile = {
	id: 3,
	name: 'qwen-fast',
	model: 'mlx-community/Qwen3-4B-4bit',
	stop: ['</s>', 'END'],
	template_options: { enable_thinking: false, custom: 1 },
	auto_start: true,
	embedding_pooling: 'last',
	model_available: true,
	temperature: 0.7,
	top_k: 40,
	keep_alive_secs: -1,
	created_at: '',
	updated_at: ''
};

describe('profile drafts', () => {
	it('round-trip a profile: numbers, stops, thinking and other template options', () => {
		const draft = draftFrom(profile);
		expect(draft.temperature).toBe('0.7');
		expect(draft.stop).toBe('</s>\nEND');
		expect(draft.enable_thinking).toBe(false);
		const { request } = requestFrom(draft);
		expect(request).toMatchObject({
			name: 'qwen-fast',
			temperature: 0.7,
			top_k: 40,
			top_p: null,
			keep_alive_secs: -1,
			stop: ['</s>', 'END'],
			auto_start: true,
			template_options: { enable_thinking: false, custom: 1 },
			system_prompt: null
		});
	});

	it('names a new profile after its model and leaves thinking to the template', () => {
		const draft = draftFrom(null, 'mlx-community/Qwen3 4B@v1');
		expect(draft.name).toBe('qwen3-4b-v1');
		expect(draft.enable_thinking).toBeNull();
		expect(requestFrom(draft).request?.template_options).toEqual({});
		expect(suggestName('org/--Odd__Name--')).toBe('odd__name');
	});

	it('names the fields that are not numbers', () => {
		const draft = { ...draftFrom(profile), temperature: 'warm', max_tokens: '1.5' };
		expect(requestFrom(draft).errors).toEqual({
			temperature: 'must be a number',
			max_tokens: 'must be a whole number'
		});
	});
});
