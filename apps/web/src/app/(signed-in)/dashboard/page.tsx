import { Dashboard } from './dashboard.tsx';

export const metadata = { title: 'Dashboard — Medplum web app' };

export default function DashboardPage() {
  return <Dashboard />;
}
