import { api } from '$lib/api/client';
import { readEventStream } from '$lib/api/events';
import { problemMessage } from '$lib/api/problem';
import { SERVER_UNREACHABLE } from '$lib/api/request';
import type { ChatDetail, ChatMessage, ChatMessageIn } from '$lib/api/types';
import { auth } from '$lib/stores/auth.svelte';
import { AnswerBuilder, type AnswerStats, type ToolCall } from './stream';

/** A message as the chat shows it. */
export interface ShownMessage {
	/** Its place in the stored chat; null while an answer streams. */
	position: number | null;
	role: string;
	content: string;
	reasoning: string;
	toolCalls: ToolCall[];
	stats: AnswerStats;
	streaming: boolean;
	/** Why the answer failed (shown in place, with a retry). */
	error: string | null;
}

function shown(message: ChatMessage): ShownMessage {
	return {
		position: message.position,
		role: message.role,
		content: message.content,
		reasoning: message.reasoning ?? '',
		toolCalls: (message.tool_calls as ToolCall[] | null) ?? [],
		stats: (message.stats as AnswerStats | null) ?? {},
		streaming: false,
		error: null
	};
}

/** The `/v1` message of a shown one. */
function wire(message: ShownMessage): Record<string, unknown> {
	const out: Record<string, unknown> = { role: message.role, content: message.content };
	if (message.toolCalls.length) out['tool_calls'] = message.toolCalls;
	return out;
}

/** A short title from the first question. */
export function titleFrom(text: string): string {
	const line = text.trim().split('\n')[0] ?? '';
	return line.length > 60 ? `${line.slice(0, 57).trimEnd()}…` : line || 'New chat';
}

/** Why a `/v1` call failed, from its body (OpenAI's error shape) or its status. */
async function failure(response: Response): Promise<string> {
	try {
		const body = (await response.json()) as { error?: { message?: string } };
		if (body.error?.message) return body.error.message;
	} catch {
		// Not JSON: the status says enough.
	}
	return `The model answered ${response.status} ${response.statusText}.`.replace(/ \.$/, '.');
}

/**
 * One conversation: its stored messages, and the answer streaming into it through
 * `/v1/chat/completions` with the user's own session. Stop aborts the request, which makes the
 * server cancel the generation.
 */
export class ChatSession {
	id = $state<number | null>(null);
	title = $state('New chat');
	model = $state('');
	messages = $state<ShownMessage[]>([]);
	busy = $state(false);
	error = $state<string | null>(null);

	#controller: AbortController | null = null;
	#onSaved: () => void;

	/** `onsaved` runs when the chat list changes (a chat was created or got messages). */
	constructor(onsaved: () => void = () => {}) {
		this.#onSaved = onsaved;
	}

	readonly streaming = $derived(this.messages.some((m) => m.streaming));

	reset(model = this.model) {
		this.stop();
		this.id = null;
		this.title = 'New chat';
		this.model = model;
		this.messages = [];
		this.error = null;
	}

	load(chat: ChatDetail) {
		this.stop();
		this.id = chat.id;
		this.title = chat.title;
		if (chat.model) this.model = chat.model;
		this.messages = chat.messages.map(shown);
		this.error = null;
	}

	/** Asks a question: stored, then answered. */
	async send(text: string): Promise<void> {
		const content = text.trim();
		if (!content || this.busy || !this.model) return;
		const question: ShownMessage = {
			position: null,
			role: 'user',
			content,
			reasoning: '',
			toolCalls: [],
			stats: {},
			streaming: false,
			error: null
		};
		this.messages.push(question);
		if (!(await this.#store([{ role: 'user', content }]))) {
			this.messages.pop();
			return;
		}
		await this.#answer();
	}

	/** Answers the last question again (after an error, or to get another answer). */
	async regenerate(): Promise<void> {
		if (this.busy) return;
		const last = this.messages.at(-1);
		if (last && last.role === 'assistant') {
			if (last.position !== null && !(await this.#truncate(last.position))) return;
			this.messages.pop();
		}
		await this.#answer();
	}

	/** Replaces a question (and everything after it) and asks it again. */
	async editAndResend(index: number, text: string): Promise<void> {
		const message = this.messages[index];
		if (!message || message.role !== 'user' || this.busy) return;
		if (message.position !== null && !(await this.#truncate(message.position))) return;
		this.messages = this.messages.slice(0, index);
		await this.send(text);
	}

	stop() {
		this.#controller?.abort();
		this.#controller = null;
	}

	async #answer(): Promise<void> {
		this.busy = true;
		this.error = null;
		const history = this.messages.filter((m) => !m.error).map(wire);
		this.messages.push({
			position: null,
			role: 'assistant',
			content: '',
			reasoning: '',
			toolCalls: [],
			stats: {},
			streaming: true,
			error: null
		});
		const answer = this.messages[this.messages.length - 1]!;
		const builder = new AnswerBuilder();
		const controller = new AbortController();
		this.#controller = controller;
		let failed: string | null = null;
		try {
			const response = await fetch('/v1/chat/completions', {
				method: 'POST',
				headers: {
					'Content-Type': 'application/json',
					Accept: 'text/event-stream',
					...(auth.token ? { Authorization: `Bearer ${auth.token}` } : {})
				},
				body: JSON.stringify({
					model: this.model,
					messages: history,
					stream: true,
					stream_options: { include_usage: true }
				}),
				signal: controller.signal
			});
			if (!response.ok || !response.body) failed = await failure(response);
			else
				await readEventStream(response.body, (event) => {
					const problem = builder.feed(event.data);
					if (problem) failed = problem;
					answer.content = builder.answer.content;
					answer.reasoning = builder.answer.reasoning;
					answer.toolCalls = [...builder.answer.toolCalls];
				});
		} catch (error) {
			if (!controller.signal.aborted)
				failed = error instanceof TypeError ? SERVER_UNREACHABLE : String(error);
		}
		builder.stop();
		answer.stats = { ...builder.answer.stats };
		if (controller.signal.aborted && !answer.stats.finish_reason)
			answer.stats.finish_reason = 'stopped';
		answer.streaming = false;
		this.#controller = null;
		const produced = answer.content || answer.reasoning || answer.toolCalls.length;
		if (failed && !produced) {
			answer.error = failed;
		} else {
			if (failed) answer.error = failed;
			// The schema types free-form objects as `Record<string, never>`.
			await this.#store([
				{
					role: 'assistant',
					content: answer.content,
					reasoning: answer.reasoning || null,
					tool_calls: answer.toolCalls.length ? (answer.toolCalls as never[]) : null,
					stats: answer.stats as never
				}
			]);
		}
		this.busy = false;
	}

	/** Stores messages (creating the chat first); false, with the reason shown, when it failed. */
	async #store(messages: ChatMessageIn[]): Promise<boolean> {
		try {
			if (this.id === null) {
				const { data, error } = await api.POST('/api/chats', {
					body: { title: titleFrom(messages[0]?.content ?? ''), model: this.model, messages }
				});
				if (!data) {
					this.error = problemMessage(error, 'The chat could not be saved.');
					return false;
				}
				this.id = data.id;
				this.title = data.title;
				this.#place(data.messages);
			} else {
				const { data, error } = await api.POST('/api/chats/{id}/messages', {
					params: { path: { id: this.id } },
					body: { messages }
				});
				if (!data) {
					this.error = problemMessage(error, 'The message could not be saved.');
					return false;
				}
				this.#place(data);
			}
			this.#onSaved();
			return true;
		} catch {
			this.error = SERVER_UNREACHABLE;
			return false;
		}
	}

	/** Gives the last shown messages the positions the server stored them at. */
	#place(stored: ChatMessage[]) {
		const pending = this.messages.filter((m) => m.position === null && !m.streaming && !m.error);
		const tail = pending.slice(-stored.length);
		tail.forEach((m, i) => (m.position = stored[i]!.position));
	}

	async #truncate(from: number): Promise<boolean> {
		if (this.id === null) return true;
		try {
			const { response, error } = await api.DELETE('/api/chats/{id}/messages', {
				params: { path: { id: this.id }, query: { from } }
			});
			if (response.ok) return true;
			this.error = problemMessage(error, 'The chat could not be changed.');
		} catch {
			this.error = SERVER_UNREACHABLE;
		}
		return false;
	}
}
