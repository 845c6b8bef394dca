// A single-page app: nothing is rendered on a server or at build time. The Rust server answers
// every page path with the fallback `index.html`.
export const ssr = false;
export const prerender = false;
