import { readFileSync } from 'node:fs';

/**
 * The pages' only script and stylesheet: real files next to this one (so the linter checks them), read once at start
 * and served from the proxy's own origin, so the Content-Security-Policy can forbid inline code.
 */
export const APP_JS = readFileSync(new URL('./assets/app.js', import.meta.url), 'utf8');
export const APP_CSS = readFileSync(new URL('./assets/app.css', import.meta.url), 'utf8');
