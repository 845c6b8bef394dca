import DOMPurify from 'dompurify';
import { Marked } from 'marked';

// Models write GitHub-flavoured Markdown; single newlines are line breaks in chat answers.
const marked = new Marked({ gfm: true, breaks: true, async: false });

/** An answer's Markdown as HTML safe to insert: rendered by marked, sanitised by DOMPurify. */
export function renderMarkdown(text: string): string {
	const html = marked.parse(text) as string;
	return DOMPurify.sanitize(html, {
		USE_PROFILES: { html: true },
		FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select'],
		FORBID_ATTR: ['style']
	});
}

// Links in answers open in a new tab and tell the target nothing.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
	if (node.tagName === 'A' && node.getAttribute('href')) {
		node.setAttribute('target', '_blank');
		node.setAttribute('rel', 'noopener noreferrer nofollow');
	}
});
