import type { Profile, ProfileRequest } from '$lib/api/types';

/** The profile form as typed: numbers stay text until sent, so a half-typed value is kept. */
export interface ProfileDraft {
	name: string;
	description: string;
	model: string;
	revision: string;
	system_prompt: string;
	temperature: string;
	top_p: string;
	top_k: string;
	min_p: string;
	repetition_penalty: string;
	max_tokens: string;
	seed: string;
	/** One stop sequence per line. */
	stop: string;
	context_length: string;
	/** Keep-alive: '' for the pool default, '-1' to keep it loaded, else seconds. */
	keep_alive_secs: string;
	auto_start: boolean;
	/** `template_options.enable_thinking`: null leaves the template's default. */
	enable_thinking: boolean | null;
	/** The rest of `template_options`, kept as they were. */
	other_template_options: Record<string, unknown>;
}

const NUMBER_FIELDS = [
	'temperature',
	'top_p',
	'top_k',
	'min_p',
	'repetition_penalty',
	'max_tokens',
	'seed',
	'context_length',
	'keep_alive_secs'
] as const;
type NumberField = (typeof NUMBER_FIELDS)[number];
const INTEGER_FIELDS = new Set<NumberField>([
	'top_k',
	'max_tokens',
	'seed',
	'context_length',
	'keep_alive_secs'
]);

function text(value: number | string | null | undefined): string {
	return value === null || value === undefined ? '' : String(value);
}

/** The form for an existing profile, or a new one (for `model` when given). */
export function draftFrom(profile: Profile | null, model = ''): ProfileDraft {
	const options = { ...(profile?.template_options ?? {}) } as Record<string, unknown>;
	const thinking = options['enable_thinking'];
	delete options['enable_thinking'];
	return {
		name: profile?.name ?? (model ? suggestName(model) : ''),
		description: profile?.description ?? '',
		model: profile?.model ?? model,
		revision: profile?.revision ?? '',
		system_prompt: profile?.system_prompt ?? '',
		temperature: text(profile?.temperature),
		top_p: text(profile?.top_p),
		top_k: text(profile?.top_k),
		min_p: text(profile?.min_p),
		repetition_penalty: text(profile?.repetition_penalty),
		max_tokens: text(profile?.max_tokens),
		seed: text(profile?.seed),
		stop: (profile?.stop ?? []).join('\n'),
		context_length: text(profile?.context_length),
		keep_alive_secs: text(profile?.keep_alive_secs),
		auto_start: profile?.auto_start ?? false,
		enable_thinking: typeof thinking === 'boolean' ? thinking : null,
		other_template_options: options
	};
}

/** A profile name from a repository id: `org/Qwen3-4B-4bit` → `qwen3-4b-4bit`. */
export function suggestName(model: string): string {
	const name = model.split('/').pop() ?? model;
	return name
		.toLowerCase()
		.replace(/[^a-z0-9._:-]+/g, '-')
		.replace(/^-+|-+$/g, '')
		.slice(0, 64);
}

/**
 * The request for a draft, or the fields that are not numbers (ranges are the server's to
 * check: its 422 names the field, shown in place).
 */
export function requestFrom(
	draft: ProfileDraft
): { request: ProfileRequest; errors: null } | { request: null; errors: Record<string, string> } {
	const errors: Record<string, string> = {};
	const numbers: Partial<Record<NumberField, number | null>> = {};
	for (const field of NUMBER_FIELDS) {
		const raw = draft[field].trim();
		if (raw === '') {
			numbers[field] = null;
			continue;
		}
		const value = Number(raw);
		if (!Number.isFinite(value)) errors[field] = 'must be a number';
		else if (INTEGER_FIELDS.has(field) && !Number.isInteger(value))
			errors[field] = 'must be a whole number';
		else numbers[field] = value;
	}
	if (Object.keys(errors).length) return { request: null, errors };
	const template_options: Record<string, unknown> = { ...draft.other_template_options };
	if (draft.enable_thinking !== null) template_options['enable_thinking'] = draft.enable_thinking;
	const optional = (value: string) => (value.trim() === '' ? null : value);
	return {
		request: {
			name: draft.name.trim(),
			description: optional(draft.description),
			model: draft.model.trim(),
			revision: optional(draft.revision.trim()),
			system_prompt: optional(draft.system_prompt),
			...numbers,
			stop: draft.stop
				.split('\n')
				.map((s) => s.replace(/\r$/, ''))
				.filter((s) => s !== ''),
			auto_start: draft.auto_start,
			template_options
		},
		errors: null
	};
}
