import { describe, expect, it } from 'vitest';
import { AnswerBuilder } from './stream';

function chunk(delta: object, extra: object = {}) {
	return JSON.stringify({ choices: [{ index: 0, delta, finish_reason: null }], ...extra });
}

describe('AnswerBuilder', () => {
	it('joins reasoning, text and tool-call pieces and times the answer', () => {
		let t = 1000;
		const builder = new AnswerBuilder(() => t);
		t = 1200;
		builder.feed(chunk({ role: 'assistant', reasoning_content: 'Let me ' }));
		t = 1300;
		builder.feed(chunk({ reasoning_content: 'think.' }));
		t = 1700;
		builder.feed(chunk({ content: 'Hello' }));
		builder.feed(chunk({ content: ', world' }));
		builder.feed(
			chunk({
				tool_calls: [
					{
						index: 0,
						id: 'call_1',
						type: 'function',
						function: { name: 'get_', arguments: '{"ci' }
					}
				]
			})
		);
		builder.feed(
			chunk({
				tool_calls: [{ index: 0, function: { name: 'weather', arguments: 'ty":"Paris"}' } }]
			})
		);
		builder.feed(
			JSON.stringify({
				choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }],
				usage: { prompt_tokens: 12, completion_tokens: 21 }
			})
		);
		t = 3200;
		builder.feed('[DONE]');
		const { answer } = builder;
		expect(answer.reasoning).toBe('Let me think.');
		expect(answer.content).toBe('Hello, world');
		expect(answer.toolCalls).toEqual([
			{
				id: 'call_1',
				type: 'function',
				function: { name: 'get_weather', arguments: '{"city":"Paris"}' }
			}
		]);
		expect(answer.done).toBe(true);
		expect(answer.stats).toEqual({
			prompt_tokens: 12,
			completion_tokens: 21,
			finish_reason: 'tool_calls',
			ttft_ms: 200,
			thinking_ms: 500,
			tokens_per_sec: 10
		});
	});

	it('reports an error event and keeps what came before when stopped', () => {
		const builder = new AnswerBuilder(() => 0);
		builder.feed(chunk({ content: 'partial' }));
		expect(builder.feed(JSON.stringify({ error: { message: 'model unloaded' } }))).toBe(
			'model unloaded'
		);
		builder.stop();
		expect(builder.answer).toMatchObject({ content: 'partial', done: true });
		expect(builder.feed('not json')).toBeNull();
	});
});
