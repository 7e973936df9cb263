/**
 * Server-rendered pages of the legacy clinic app (hono/html tagged templates: escaped by default, and plain `.ts`
 * so `node src/server.ts` runs them without a build step). Every value shown comes from the allowlisted API calls.
 */
import type {
  Bundle,
  Communication,
  DiagnosticReport,
  HumanName,
  Observation,
  OperationOutcome,
  Patient,
  Resource,
} from '@medplum/fhirtypes';
import { html } from 'hono/html';
import type { ForwardResult } from '../api/forward.ts';
import type { LegacyUser } from '../users/store.ts';
import { attribution, identityName, localTime, patternOf } from './attribution.ts';
import { type Html, layout } from './layout.ts';

export function loginPage(devHint: string | undefined): Html {
  return layout(
    'Sign in',
    undefined,
    html`<section>
      <h1>Sign in to the legacy clinic app</h1>
      <p class="muted">
        These are the clinic app's own accounts. Medplum never sees your password: the app's server calls Medplum as
        its ClientApplication, on your behalf.
      </p>
      <form data-action="sign-in" method="post" action="/api/session">
        <label for="username">User name</label>
        <input id="username" name="username" autocomplete="username" required maxlength="128" />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="128" />
        <button type="submit">Sign in</button>
        <p role="alert"></p>
      </form>
      ${devHint ? html`<p class="muted">${devHint}</p>` : ''}
    </section>`
  );
}

function nameOf(names: HumanName[] | undefined): string {
  const name = names?.[0];
  if (!name) return '(no name)';
  return name.text ?? [...(name.prefix ?? []), ...(name.given ?? []), name.family].filter(Boolean).join(' ');
}

function problem(result: ForwardResult, what: string): Html {
  if (result.refusal === 'on-behalf-of') {
    return html`<p class="denied" data-status="403" data-refusal="on-behalf-of">
      Medplum refused to act on your behalf, so ${what} cannot be shown. Your Medplum membership is not usable from this
      app (inactive, or in another project); ask an administrator.
    </p>`;
  }
  if (result.status === 403) {
    return html`<p class="denied" data-status="403" data-refusal="forbidden">
      Medplum refused: your access policy does not allow ${what} (403). The proxy's own identity could read it; it asks
      on your behalf, so your policy applies.
    </p>`;
  }
  const outcome = result.body as OperationOutcome | { error?: string } | undefined;
  const text =
    outcome && 'issue' in outcome ? (outcome.issue?.[0]?.details?.text ?? outcome.issue?.[0]?.code) : outcome?.error;
  return html`<p class="denied" data-status="${result.status}">Could not load ${what}: ${result.status} ${text ?? ''}</p>`;
}

function entries<T extends Resource>(result: ForwardResult): T[] {
  const bundle = result.body as Bundle<T> | undefined;
  return (bundle?.entry ?? []).flatMap((entry) => (entry.resource ? [entry.resource] : []));
}

export function patientsPage(user: LegacyUser, result: ForwardResult, name: string | undefined): Html {
  const patients = entries<Patient>(result);
  return layout(
    'Patients',
    user,
    html`<section>
      <h1>Patients</h1>
      <form method="get" action="/patients">
        <label for="name">Search by name</label>
        <input id="name" name="name" value="${name ?? ''}" maxlength="64" />
        <button type="submit">Search</button>
      </form>
    </section>
    <section>
      ${
        result.status === 200
          ? patients.length === 0
            ? html`<p class="muted">No patients found.</p>`
            : html`<table>
                <thead>
                  <tr><th>Name</th><th>Birth date</th><th>Gender</th><th>Identifier</th></tr>
                </thead>
                <tbody>
                  ${patients.map(
                    (patient) =>
                      html`<tr>
                        <td><a href="/patients/${patient.id ?? ''}">${nameOf(patient.name)}</a></td>
                        <td>${patient.birthDate ?? ''}</td>
                        <td>${patient.gender ?? ''}</td>
                        <td>${patient.identifier?.[0]?.value ?? ''}</td>
                      </tr>`
                  )}
                </tbody>
              </table>`
          : problem(result, 'the patient list')
      }
    </section>`
  );
}

function observationValue(observation: Observation): string {
  if (observation.valueQuantity) {
    return `${observation.valueQuantity.value ?? ''} ${observation.valueQuantity.unit ?? observation.valueQuantity.code ?? ''}`.trim();
  }
  return (
    observation.valueString ??
    observation.valueCodeableConcept?.text ??
    observation.valueCodeableConcept?.coding?.[0]?.display ??
    (observation.valueBoolean === undefined ? '' : String(observation.valueBoolean))
  );
}

function codeText(code: Observation['code'] | undefined): string {
  return code?.text ?? code?.coding?.[0]?.display ?? code?.coding?.[0]?.code ?? '(no code)';
}

export interface PatientPageData {
  patient: ForwardResult;
  reports: ForwardResult;
  observations: ForwardResult;
  notes: ForwardResult;
}

export function patientPage(user: LegacyUser, patientId: string, data: PatientPageData): Html {
  if (data.patient.status !== 200) {
    return layout('Patient', user, html`<section><h1>Patient</h1>${problem(data.patient, 'this patient')}</section>`);
  }
  const patient = data.patient.body as Patient;
  const reports = entries<DiagnosticReport>(data.reports);
  const observations = entries<Observation>(data.observations);
  const notes = entries<Communication>(data.notes);
  return layout(
    nameOf(patient.name),
    user,
    html`<section>
        <h1>${nameOf(patient.name)}</h1>
        <p>
          Born ${patient.birthDate ?? 'unknown'} · ${patient.gender ?? ''} · ${patient.identifier?.[0]?.value ?? ''}
        </p>
        ${attribution(patient)}
      </section>
      <section id="lab-results">
        <h2>Lab results</h2>
        ${
          data.reports.status !== 200
            ? problem(data.reports, 'lab reports')
            : reports.length === 0
              ? html`<p class="muted">No reports.</p>`
              : html`<table>
                  <thead><tr><th>Report</th><th>Status</th><th>Issued</th><th>Conclusion</th></tr></thead>
                  <tbody>
                    ${reports.map(
                      (report) => html`<tr>
                        <td>${codeText(report.code)}${attribution(report)}</td>
                        <td>${report.status}</td>
                        <td>${localTime(report.issued ?? report.effectiveDateTime)}</td>
                        <td>${report.conclusion ?? ''}</td>
                      </tr>`
                    )}
                  </tbody>
                </table>`
        }
        ${
          data.observations.status !== 200
            ? problem(data.observations, 'lab observations')
            : observations.length === 0
              ? html`<p class="muted">No observations.</p>`
              : html`<table>
                  <thead><tr><th>Observation</th><th>Value</th><th>Status</th><th>When</th></tr></thead>
                  <tbody>
                    ${observations.map(
                      (observation) => html`<tr>
                        <td>${codeText(observation.code)}${attribution(observation)}</td>
                        <td>${observationValue(observation)}</td>
                        <td>${observation.status}</td>
                        <td>${localTime(observation.effectiveDateTime ?? observation.issued)}</td>
                      </tr>`
                    )}
                  </tbody>
                </table>`
        }
      </section>
      <section id="notes">
        <h2>Notes</h2>
        ${
          data.notes.status !== 200
            ? problem(data.notes, 'notes')
            : notes.length === 0
              ? html`<p class="muted">No notes yet.</p>`
              : html`<ul>
                  ${notes.map(
                    (note) => html`<li>
                      <p>${note.payload?.[0]?.contentString ?? ''}</p>
                      ${attribution(note)}
                    </li>`
                  )}
                </ul>`
        }
        <form data-action="add-note" data-patient="${patientId}" method="post" action="/api/fhir/Communication">
          <label for="text">Add a note</label>
          <textarea id="text" name="text" rows="3" maxlength="4000" required></textarea>
          <button type="submit">Save note</button>
          <p role="alert"></p>
        </form>
        <p class="muted">
          Saved through the proxy: Medplum records the proxy's ClientApplication as <code>meta.author</code> and you as
          <code>meta.onBehalfOf</code>.
        </p>
      </section>`
  );
}

/** Every version of one resource, newest first: who wrote each (names), for whom, when (local time), how. */
export function historyPage(user: LegacyUser, reference: string, result: ForwardResult): Html {
  const title = `History of ${reference.split('/')[0]}`;
  if (result.status !== 200) {
    return layout(title, user, html`<section><h1>${title}</h1>${problem(result, 'this history')}</section>`);
  }
  const versions = entries<Resource>(result);
  return layout(
    title,
    user,
    html`<section>
      <h1>${title}</h1>
      <p class="muted">
        Each version as Medplum stored it: who called Medplum (<code>meta.author</code>) and, when the proxy called, the
        user it acted for (<code>meta.onBehalfOf</code>).
      </p>
      <table data-testid="history">
        <thead><tr><th>Version</th><th>Recorded by</th><th>On behalf of</th><th>When</th><th>How</th></tr></thead>
        <tbody>
          ${versions.map(
            (version, index) => html`<tr data-author="${version.meta?.author?.reference ?? ''}">
              <td>${versions.length - index}</td>
              <td>${identityName(version.meta?.author)}</td>
              <td>${version.meta?.onBehalfOf ? identityName(version.meta.onBehalfOf) : ''}</td>
              <td>${localTime(version.meta?.lastUpdated)}</td>
              <td>${patternOf(version.meta)}</td>
            </tr>`
          )}
        </tbody>
      </table>
    </section>`
  );
}
