/**
 * Who wrote a resource version and when, for the legacy pages: names (the `display` Medplum puts on `meta.author` and
 * `meta.onBehalfOf`, packages/server/src/fhir/repo.ts) rather than bare references, and times as `<time>` elements
 * the page script turns into the reader's local time (the server cannot know the reader's time zone; the text before
 * the script runs is UTC, labelled so).
 */
import type { Meta, Reference, Resource } from '@medplum/fhirtypes';
import { html } from 'hono/html';
import type { Html } from './layout.ts';

const UTC = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

/** A date-time as a `<time>`: machine-readable attribute, readable text (local once app.js has run). */
export function localTime(iso: string | undefined): Html | string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  // A FHIR date without a time (e.g. `2026-01-02`) has no time zone to convert: shown as written.
  if (!iso.includes('T')) return iso;
  return html`<time datetime="${iso}" data-local>${UTC.format(date)} UTC</time>`;
}

/** The identity's name; without a recorded name, its kind (never the bare reference). */
export function identityName(reference: Reference | undefined): string {
  if (!reference) return 'unknown';
  if (reference.display) return reference.display;
  const type = reference.reference?.split('/')[0];
  return type === 'system' || !type ? 'Medplum' : `a ${type} (name not recorded)`;
}

/** How the write reached Medplum, as meta shows it (the same reading as the web app's activity view). */
export function patternOf(meta: Meta | undefined): string {
  if (meta?.onBehalfOf) return 'server side: a client on behalf of a user';
  const type = meta?.author?.reference?.split('/')[0];
  if (type === 'ClientApplication') return 'device: a client acting as itself';
  if (type === 'Practitioner' || type === 'Patient' || type === 'RelatedPerson') return 'client side: a signed-in user';
  return 'Medplum itself';
}

/** The types whose history the pages link to (each also a history the user's policy may refuse). */
export const HISTORY_TYPES = ['Patient', 'DiagnosticReport', 'Observation', 'Communication'] as const;

/** "Recorded by <name>, on behalf of <name> · <local time> · history": the attribution line under a resource. */
export function attribution(resource: Resource): Html {
  const meta = resource.meta;
  const author = meta?.author;
  const onBehalfOf = meta?.onBehalfOf;
  const history = resource.id ? html` · <a href="/history/${resource.resourceType}/${resource.id}">history</a>` : '';
  if (!author) {
    return html`<div class="attribution" data-author="" data-on-behalf-of="">No author recorded (seed data)${history}</div>`;
  }
  return html`<div class="attribution" data-author="${author.reference ?? ''}" data-on-behalf-of="${onBehalfOf?.reference ?? ''}" title="${patternOf(meta)}">
    Recorded by <strong>${identityName(author)}</strong>${
      onBehalfOf ? html`, on behalf of <strong>${identityName(onBehalfOf)}</strong>` : ''
    }${meta?.lastUpdated ? html` · ${localTime(meta.lastUpdated)}` : ''}${history}
  </div>`;
}
