import { PatientDetail } from './patient-detail.tsx';

export const metadata = { title: 'Patient — Medplum web app' };

export default function PatientPage() {
  return <PatientDetail />;
}
