// @vitest-environment jsdom
// happy-dom parses some hostile HTML unlike browsers do; jsdom follows the HTML standard.
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown';

describe('renderMarkdown', () => {
	it('renders code blocks, lists and emphasis', () => {
		const html = renderMarkdown(
			'**Bold** and `code`\n\n```rust\nfn main() {}\n```\n\n- one\n- two'
		);
		expect(html).toContain('<strong>Bold</strong>');
		expect(html).toContain('<code class="language-rust">fn main() {}');
		expect(html).toContain('<li>one</li>');
	});

	it('removes scripts, handlers and javascript links, and makes links safe', () => {
		const html = renderMarkdown(
			'<script>alert(1)</script><img src=x onerror="alert(2)">\n\n[a](javascript:alert(3)) [b](https://example.com)'
		);
		expect(html).not.toContain('<script');
		expect(html).not.toContain('onerror');
		expect(html).not.toContain('javascript:');
		expect(html).toContain('<a>a</a>');
		expect(html).toContain(
			'href="https://example.com" target="_blank" rel="noopener noreferrer nofollow"'
		);
	});
});
