import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { createAccountDirectory } from './accounts.ts';
import { grantRequestedScopes } from './configuration.ts';
import type { IdentityProviderOptions } from './options.ts';
import { PAGE_HEADERS, renderErrorPage, renderSignInPage } from './pages.ts';

const MAX_FORM_BYTES = 16 * 1024;

/** What the interaction pages need from the running identity provider. */
export interface InteractionContext {
  provider: Provider;
  options: IdentityProviderOptions;
  directory: ReturnType<typeof createAccountDirectory>;
  log: (line: string) => void;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** One request to the provider's own pages: `GET /interaction/:uid`, `POST /interaction/:uid/login` or `/abort`. */
export async function handleInteraction(
  context: InteractionContext,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
  action: string | undefined
): Promise<void> {
  const op = context.provider;
  const isPost = req.method === 'POST';
  if ((action && !isPost) || (!action && req.method !== 'GET')) {
    sendPage(res, 405, renderErrorPage({ error: 'method_not_allowed' }));
    return;
  }
  const details = await interactionDetails(op, req, res, uid);
  if (!details) return;
  const clientId = String(details.params.client_id ?? '');
  if (action === 'abort') {
    await op.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      { mergeWithLastSubmission: false }
    );
    return;
  }
  if (details.prompt.name === 'consent') {
    await grantConsent(op, req, res, details, action);
    return;
  }
  if (details.prompt.name !== 'login') {
    sendPage(res, 400, renderErrorPage({ error: 'invalid_request', error_description: 'unsupported prompt' }));
    return;
  }
  const clientName = context.options.clients.find((c) => c.clientId === clientId)?.name ?? clientId;
  if (!action) {
    const loginHint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;
    sendPage(res, 200, renderSignInPage({ uid, clientName, email: loginHint }));
    return;
  }
  await signIn(context, req, res, { uid, clientId, clientName });
}

/** The interaction's details, or undefined once an error page has been sent (expired session, another uid). */
async function interactionDetails(
  op: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string
): Promise<Details | undefined> {
  let details: Details;
  try {
    details = await op.interactionDetails(req, res);
  } catch (err) {
    if (err instanceof errors.SessionNotFound) {
      sendPage(res, 400, renderErrorPage({ error: 'invalid_request', error_description: 'sign-in session expired' }));
      return undefined;
    }
    throw err;
  }
  if (details.uid !== uid) {
    sendPage(res, 400, renderErrorPage({ error: 'invalid_request', error_description: 'interaction mismatch' }));
    return undefined;
  }
  return details;
}

/** Every client here is first-party: grant the OIDC scopes it asked for, no consent screen. */
async function grantConsent(
  op: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  details: Details,
  action: string | undefined
): Promise<void> {
  const accountId = details.session?.accountId;
  if (!accountId || action) {
    sendPage(res, 400, renderErrorPage({ error: 'invalid_request' }));
    return;
  }
  const clientId = String(details.params.client_id ?? '');
  const grant = new op.Grant({ clientId, accountId });
  grantRequestedScopes(grant, details.params.scope);
  const grantId = await grant.save();
  await op.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

/** The sign-in form's post: the account's subject on success, the form again with an error otherwise. */
async function signIn(
  context: InteractionContext,
  req: IncomingMessage,
  res: ServerResponse,
  page: { uid: string; clientId: string; clientName: string }
): Promise<void> {
  const { uid, clientId, clientName } = page;
  const form = await readForm(req);
  if (!form) {
    sendPage(res, 400, renderErrorPage({ error: 'invalid_request', error_description: 'expected a form post' }));
    return;
  }
  const email = form.get('email') ?? '';
  const subject = context.directory.authenticate(email, form.get('password') ?? '');
  if (!subject) {
    context.log(`idp: sign-in failed for client ${clientId}`);
    sendPage(res, 401, renderSignInPage({ uid, clientName, email, error: 'Invalid email or password.' }));
    return;
  }
  context.log(`idp: signed in for client ${clientId}`);
  await context.provider.interactionFinished(
    req,
    res,
    { login: { accountId: subject } },
    { mergeWithLastSubmission: false }
  );
}

export function sendPage(res: ServerResponse, status: number, page: Promise<string>): void {
  void page.then((html) => {
    res.writeHead(status, PAGE_HEADERS);
    res.end(html);
  });
}

/** The urlencoded form body, or undefined when it is not one or is too large. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    // Keep draining past the limit, so the connection can still carry the answer.
    size += (chunk as Buffer).length;
    if (size <= MAX_FORM_BYTES) chunks.push(chunk as Buffer);
  }
  return size <= MAX_FORM_BYTES ? new URLSearchParams(Buffer.concat(chunks).toString('utf8')) : undefined;
}
