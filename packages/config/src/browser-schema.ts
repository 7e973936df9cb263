import { z } from 'zod';
import { endpointUrl, httpUrl, oneOf, text } from './fields.ts';

/**
 * Browser-safe configuration, in a module of its own: it imports nothing that holds a secret (not even a public dev
 * default), so a browser bundle built from `@org/config/browser` cannot carry one. Every name starts with NEXT_PUBLIC_
 * and nothing here is secret (both checked by tests).
 */

export const DEV_WEB_CLIENT_ID = '3ca418e1-01de-4d02-befa-7c9315189a44';

export const webBrowserSchema = z.object({
  NEXT_PUBLIC_MEDPLUM_BASE_URL: httpUrl('http://localhost:8103/', {
    description: 'Medplum base URL the browser talks to directly',
    exposes: true,
  }),
  NEXT_PUBLIC_MEDPLUM_CLIENT_ID: text(DEV_WEB_CLIENT_ID, {
    description: 'Id of the public (PKCE) ClientApplication the web app signs in with',
  }),
  NEXT_PUBLIC_IDP_AUTHORIZE_URL: endpointUrl('http://localhost:8104/authorize', {
    description: 'Authorize endpoint of the external OIDC identity provider ("Acme SSO" locally)',
    exposes: true,
  }),
  NEXT_PUBLIC_IDP_CLIENT_ID: text('medplum-web', {
    description: "Client id Medplum's ClientApplication uses at the external identity provider",
  }),
  NEXT_PUBLIC_PROXY_URL: httpUrl('http://localhost:3001/', {
    description: "Where the landing page links to the proxy's legacy app",
    exposes: true,
  }),
  NEXT_PUBLIC_TOKEN_STORAGE: oneOf(['local', 'memory'], 'local', {
    description:
      'Where the web app keeps Medplum tokens: local (survives reloads; an XSS can read them) or memory (sign in again after a reload)',
  }),
  NEXT_PUBLIC_DEVICE_URL: httpUrl('http://localhost:3002/', {
    description: "Where the landing page links to the device's status page",
    exposes: true,
  }),
});
