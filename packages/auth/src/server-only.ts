/**
 * What bundlers load for `@org/auth/server`, `/device`, `/webhooks`, `/provisioning` and `/testing` under the `browser`
 * condition (package.json). Those entries hold or handle secrets; this import cannot be resolved, so a browser
 * bundle that reaches one fails to build, naming the reason. Node never loads this file.
 */
// Deliberately unresolvable.
import '@org/auth/ERROR-server-only-entry-imported-into-browser-code-use-@org/auth/browser';
