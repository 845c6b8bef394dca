/** One tool call of an answer, as `/v1/chat/completions` streams it (pieces joined). */
export interface ToolCall {
	id: string;
	type: string;
	function: { name: string; arguments: string };
}

/** What the answer shows under it. */
export interface AnswerStats {
	prompt_tokens?: number;
	completion_tokens?: number;
	/** From sending to the first token (reasoning or text), ms. */
	ttft_ms?: number;
	/** Generated tokens per second after the first. */
	tokens_per_sec?: number;
	/** Time spent reasoning, ms (first reasoning token to the first answer token). */
	thinking_ms?: number;
	finish_reason?: string;
}

/** An answer as it streams in. */
export interface Answer {
	content: string;
	reasoning: string;
	toolCalls: ToolCall[];
	stats: AnswerStats;
	done: boolean;
}

interface ChunkDelta {
	content?: string | null;
	reasoning_content?: string | null;
	reasoning?: string | null;
	tool_calls?: {
		index: number;
		id?: string;
		type?: string;
		function?: { name?: string; arguments?: string };
	}[];
}

interface Chunk {
	choices?: { delta?: ChunkDelta; finish_reason?: string | null }[];
	usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
	error?: { message?: string };
}

/**
 * Folds the `data:` lines of an OpenAI chat stream into an answer, timing it with `now()`
 * (milliseconds). Feed each event's data; `[DONE]` ends it.
 */
export class AnswerBuilder {
	answer: Answer = { content: '', reasoning: '', toolCalls: [], stats: {}, done: false };
	#started: number;
	#firstToken: number | null = null;
	#firstReasoning: number | null = null;
	#firstContent: number | null = null;
	#now: () => number;

	constructor(now: () => number = () => performance.now()) {
		this.#now = now;
		this.#started = now();
	}

	/** Applies one event; returns an error message the server sent in the stream, if any. */
	feed(data: string): string | null {
		if (data === '[DONE]') {
			this.#finish();
			return null;
		}
		let chunk: Chunk;
		try {
			chunk = JSON.parse(data) as Chunk;
		} catch {
			return null;
		}
		if (chunk.error) return chunk.error.message ?? 'The generation failed.';
		const choice = chunk.choices?.[0];
		const delta = choice?.delta;
		if (delta) {
			const reasoning = delta.reasoning_content ?? delta.reasoning ?? '';
			if (reasoning) {
				this.#mark();
				this.#firstReasoning ??= this.#now();
				this.answer.reasoning += reasoning;
			}
			if (delta.content) {
				this.#mark();
				this.#firstContent ??= this.#now();
				this.answer.content += delta.content;
			}
			for (const piece of delta.tool_calls ?? []) {
				this.#mark();
				const call = (this.answer.toolCalls[piece.index] ??= {
					id: '',
					type: 'function',
					function: { name: '', arguments: '' }
				});
				if (piece.id) call.id = piece.id;
				if (piece.type) call.type = piece.type;
				if (piece.function?.name) call.function.name += piece.function.name;
				if (piece.function?.arguments) call.function.arguments += piece.function.arguments;
			}
		}
		if (choice?.finish_reason) this.answer.stats.finish_reason = choice.finish_reason;
		if (chunk.usage) {
			this.answer.stats.prompt_tokens = chunk.usage.prompt_tokens;
			this.answer.stats.completion_tokens = chunk.usage.completion_tokens;
		}
		return null;
	}

	/** The stream ended (or was stopped): the timings are settled. */
	#finish() {
		if (this.answer.done) return;
		this.answer.done = true;
		const end = this.#now();
		const stats = this.answer.stats;
		if (this.#firstToken !== null) {
			stats.ttft_ms = Math.round(this.#firstToken - this.#started);
			const tokens = stats.completion_tokens;
			const seconds = (end - this.#firstToken) / 1000;
			if (tokens && tokens > 1 && seconds > 0) stats.tokens_per_sec = (tokens - 1) / seconds;
		}
		if (this.#firstReasoning !== null)
			stats.thinking_ms = Math.round((this.#firstContent ?? end) - this.#firstReasoning);
	}

	/** Ends the answer where it is (the user pressed Stop, or the stream dropped). */
	stop() {
		this.#finish();
	}

	#mark() {
		this.#firstToken ??= this.#now();
	}
}
