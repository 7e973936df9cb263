import { NewPatient } from './new-patient.tsx';

export const metadata = { title: 'New patient — Medplum web app' };

export default function NewPatientPage() {
  return <NewPatient />;
}
